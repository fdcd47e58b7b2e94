// Package webui serves the web app's production build, embedded in the core
// binary, at "/": the files Vite wrote (hashed assets cached for a year,
// everything else revalidated by ETag), gzip when the client takes it, the
// single-page-app fallback (a path that names no file and has no extension
// gets index.html, so client-side routes survive a reload), and /config.json,
// the settings the app reads at start.
//
// An embed directive cannot reach outside the core module, so `make web`
// builds ../web and copies its dist/ into this package's dist/. Only
// dist/.gitkeep is committed: a fresh clone compiles, and until the build has
// been copied the core serves notbuilt.html, which says how to build the app.
package webui
