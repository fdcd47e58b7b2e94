package envconfig

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Addr returns the variable (or def) when it is a listen or dial address,
// host:port with an empty or named host and a numeric port from 0 to 65535
// (":8080", "127.0.0.1:4223", "[::1]:0").
func (r *Reader) Addr(name, def string) string {
	v := r.String(name, def)
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		r.Fail(name, fmt.Sprintf("%q is not host:port (e.g. :8080)", v))
		return def
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		r.Fail(name, fmt.Sprintf("port %q is not a number from 0 to 65535", port))
		return def
	}
	return v
}

// URL returns the variable (or def) when it is an absolute URL with a host and
// one of schemes, with its trailing slashes removed. It returns "" when both the
// variable and def are empty: an optional URL. The message names the schemes but
// not the value, which may hold a password.
func (r *Reader) URL(name, def string, schemes ...string) string {
	v := r.String(name, def)
	if v == "" {
		return ""
	}
	if err := CheckURL(v, schemes...); err != nil {
		r.Fail(name, err.Error())
		return def
	}
	return strings.TrimRight(v, "/")
}

// URLs returns the variable (or def) split at commas, for a cluster of servers:
// each item must pass CheckURL and loses its trailing slashes. It returns nil
// when both are empty.
func (r *Reader) URLs(name, def string, schemes ...string) []string {
	var out []string
	for i, item := range strings.Split(r.String(name, def), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if err := CheckURL(item, schemes...); err != nil {
			r.Fail(name, fmt.Sprintf("item %d: %s (comma-separated for a cluster)", i+1, err))
			return nil
		}
		out = append(out, strings.TrimRight(item, "/"))
	}
	return out
}

// CheckURL returns nil when v is an absolute URL with a host and one of schemes,
// and otherwise an error saying so without quoting v. List checks use it for
// items that may also take other forms.
func CheckURL(v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("must be a URL with scheme %s and a host", alternatives(schemes))
	}
	return nil
}

// IPs returns the variable split at commas, each item an IPv4 or IPv6 address;
// nil when it is unset.
func (r *Reader) IPs(name string) []string {
	return r.List(name, "", func(item string) error {
		if net.ParseIP(item) == nil {
			return fmt.Errorf("%q is not an IP address", item)
		}
		return nil
	})
}

// alternatives joins words as "a", "a or b", "a, b or c".
func alternatives(words []string) string {
	switch len(words) {
	case 0:
		return "(none)"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
