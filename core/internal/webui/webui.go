package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed all:dist
var dist embed.FS

//go:embed notbuilt.html
var notBuilt []byte

// Config is what the web app learns from /config.json.
type Config struct {
	// EdgeURL is the edge the app calls (text chat, voice calls) when
	// RegionService/PickEdge names none, e.g. "http://localhost:8090".
	EdgeURL string
}

// Cache-Control values: Vite puts a content hash in every name under assets/,
// so those never change; everything else is revalidated on each use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// csp is the Content-Security-Policy of the app's pages: its own scripts and
// styles, QR codes as data: images, and Connect and WHIP calls to the core and
// to edges on other origins.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' http: https:; " +
	"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// file is one response body, ready to send.
type file struct {
	body  []byte
	gz    []byte // nil when gzip does not pay
	etag  string
	ctype string
	cache string
}

// UI is the handler for "/". It is safe for concurrent use.
type UI struct {
	files  map[string]*file // by path without the leading slash
	index  *file
	config *file
	built  bool
}

// New serves the build embedded in the binary (see the package
// documentation).
func New(cfg Config) *UI {
	sub, _ := fs.Sub(dist, "dist") // fails only for an invalid name, and "dist" is valid
	return NewFS(sub, cfg)
}

// NewFS serves the build in fsys, a tree like Vite's dist/ (index.html,
// assets/...): the embedded one, or one on disk. It reads, hashes and
// compresses every file once; files it cannot read are left out. Without an
// index.html it serves notbuilt.html.
func NewFS(fsys fs.FS, cfg Config) *UI {
	u := &UI{files: map[string]*file{}}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == ".gitkeep" {
			return nil // an unreadable entry is left out, as documented
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		cache := cacheRevalidate
		if strings.HasPrefix(p, "assets/") {
			cache = cacheImmutable
		}
		u.files[p] = newFile(b, contentType(p, b), cache)
		return nil
	})
	u.index, u.built = u.files["index.html"], true
	if u.index == nil {
		u.index, u.built = newFile(notBuilt, "text/html; charset=utf-8", cacheRevalidate), false
	}
	conf, _ := json.Marshal(struct {
		EdgeURL string `json:"edgeUrl,omitempty"`
	}{cfg.EdgeURL})
	u.config = newFile(conf, "application/json", cacheRevalidate)
	return u
}

// Built reports whether the core carries the web app's build (false: it
// serves notbuilt.html).
func (u *UI) Built() bool { return u.built }

// ServeHTTP serves GET and HEAD: a file of the build, /config.json, or
// index.html for any other path without an extension outside assets/. Other
// paths, and other methods, get 404.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// "/" catches every path no API claims: a POST here is an unknown
		// procedure, which Connect clients read as Unimplemented from a 404.
		http.NotFound(w, r)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f := u.lookup(p)
	if f == nil {
		http.NotFound(w, r)
		return
	}
	u.write(w, r, f)
}

// lookup finds the file for a cleaned path without its leading slash.
func (u *UI) lookup(p string) *file {
	switch p {
	case "", "index.html":
		return u.index
	case "config.json":
		return u.config
	}
	if f, ok := u.files[p]; ok {
		return f
	}
	first, _, _ := strings.Cut(p, "/")
	if strings.HasPrefix(p, "assets/") || strings.Contains(path.Base(p), ".") || strings.Contains(first, ".") {
		return nil // a missing file or an unknown procedure, not a route: never answer it with HTML
	}
	return u.index
}

func (u *UI) write(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", f.cache)
	if strings.HasPrefix(f.ctype, "text/html") {
		h.Set("Content-Security-Policy", csp)
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func newFile(b []byte, ctype, cache string) *file {
	sum := sha256.Sum256(b)
	f := &file{body: b, ctype: ctype, cache: cache, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if compressible(ctype) && len(b) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		if zw.Close() == nil && buf.Len() < len(b)*9/10 {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func contentType(p string, b []byte) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return http.DetectContentType(b)
}

func compressible(ctype string) bool {
	for _, prefix := range []string{"text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json"} {
		if strings.HasPrefix(ctype, prefix) {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and does
// not refuse it with q=0).
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// etagMatch implements If-None-Match's weak comparison over a list of tags.
func etagMatch(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
