// Package platform is the root of the small libraries both services, the core and
// the edge, build on. Each library lives in its own package below this one:
//
//   - envconfig reads AVATAR_* variables into typed values with defaults and
//     validation, and reports the first bad one as "AVATAR_X: what is wrong".
//
// The module is a leaf like protocol and media: it imports neither the core nor the
// edge, depends only on the standard library, starts no goroutines and keeps no
// global state.
package platform
