package cors

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Config says which browser origins may call and what they may send and read.
type Config struct {
	// Origins are the allowed origins, e.g. "https://app.example.com"; "*"
	// allows any origin. Empty allows none. A trailing slash is ignored.
	Origins []string
	// AllowHeaders are request headers allowed beyond the defaults (see the
	// package documentation), e.g. the core's "X-Request-Id".
	AllowHeaders []string
	// ExposeHeaders are response headers exposed beyond the defaults.
	ExposeHeaders []string
}

// methods are the request methods a preflight may ask for.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete}

// defaultAllowHeaders are the request headers Connect, gRPC-Web and the
// WHIP-style endpoint need.
var defaultAllowHeaders = []string{
	"Content-Type", "Authorization",
	"Connect-Protocol-Version", "Connect-Timeout-Ms", "Connect-Content-Encoding", "Connect-Accept-Encoding",
	"Grpc-Timeout", "X-Grpc-Web", "X-User-Agent",
}

// defaultExposeHeaders are the response headers clients of those protocols
// read.
var defaultExposeHeaders = []string{
	"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Retry-After", "Location",
}

// maxAge is how long a browser may cache a preflight answer, in seconds.
const maxAge = "7200"

// CheckOrigin accepts "*" or an http(s) origin: a scheme and a host with an
// optional port, no path, query or credentials. Configuration loaders pass it
// to envconfig's List reader.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: %q must be like https://app.example.com", ErrBadOrigin, o)
	}
	return nil
}

// Handler wraps next: it answers preflights (OPTIONS with
// Access-Control-Request-Method) itself and adds the CORS headers to the
// responses of allowed origins. Requests without an Origin header pass through
// untouched. The returned handler is safe for concurrent use.
func Handler(cfg Config, next http.Handler) http.Handler {
	p := newPolicy(cfg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !p.origin(origin) || !p.method(r.Header.Get("Access-Control-Request-Method")) ||
				!p.headers(r.Header.Values("Access-Control-Request-Headers")) {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", p.allowMethods)
			h.Set("Access-Control-Allow-Headers", p.allowHeaders)
			h.Set("Access-Control-Max-Age", maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if p.origin(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", p.exposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// policy is a Config compiled for lookups.
type policy struct {
	any           bool
	origins       map[string]bool
	headerSet     map[string]bool // lower case
	allowMethods  string
	allowHeaders  string
	exposeHeaders string
}

func newPolicy(cfg Config) *policy {
	p := &policy{origins: map[string]bool{}, headerSet: map[string]bool{}}
	for _, o := range cfg.Origins {
		if o == "*" {
			p.any = true
		}
		p.origins[strings.TrimRight(o, "/")] = true
	}
	allow := append(slices.Clone(defaultAllowHeaders), cfg.AllowHeaders...)
	for _, h := range allow {
		p.headerSet[strings.ToLower(h)] = true
	}
	p.allowMethods = strings.Join(methods, ", ")
	p.allowHeaders = strings.Join(allow, ", ")
	p.exposeHeaders = strings.Join(append(slices.Clone(defaultExposeHeaders), cfg.ExposeHeaders...), ", ")
	return p
}

func (p *policy) origin(o string) bool { return p.any || p.origins[o] }

func (p *policy) method(m string) bool { return slices.Contains(methods, m) }

// headers reports whether every header a preflight names is allowed; values
// are comma-separated lists, possibly in several header lines.
func (p *policy) headers(values []string) bool {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "" && !p.headerSet[name] {
				return false
			}
		}
	}
	return true
}
