package region

import (
	"fmt"
	"strings"
)

// MaxRegionLen is the longest region name.
const MaxRegionLen = 64

// ValidRegion reports whether name is a region name: 1 to MaxRegionLen lower-case
// letters, digits, "-" and "_", so that it is also one NATS subject token. Callers fold
// case first (NormalizeRegion).
func ValidRegion(name string) bool {
	if name == "" || len(name) > MaxRegionLen {
		return false
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// NormalizeRegion returns name trimmed and in lower case: region names are compared
// without case.
func NormalizeRegion(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Route is one caller region's fallback order.
type Route struct {
	// Region is the caller's region.
	Region string
	// Next are the regions to try after Region when it has no edge that takes calls,
	// nearest first.
	Next []string
}

// Order says which regions PickEdge tries for a caller, nearest first. The zero Order
// (no routes) has no home region and tries only the caller's region before every other.
// An Order is immutable and safe for concurrent use.
type Order struct {
	home string
	next map[string][]string
}

// NewOrder returns the order of routes; the first route's region is the home region of
// callers that name none. Names are normalized (NormalizeRegion); a bad name, a region
// with two routes, or a route naming a region twice (or its own) wraps ErrInvalidConfig.
func NewOrder(routes ...Route) (*Order, error) {
	o := &Order{next: make(map[string][]string, len(routes))}
	for i, r := range routes {
		from := NormalizeRegion(r.Region)
		if !ValidRegion(from) {
			return nil, fmt.Errorf("%w: order: route %d: %q is not a region name", ErrInvalidConfig, i+1, r.Region)
		}
		if _, dup := o.next[from]; dup {
			return nil, fmt.Errorf("%w: order: region %q has two routes", ErrInvalidConfig, from)
		}
		seen := map[string]bool{from: true}
		next := make([]string, 0, len(r.Next))
		for _, n := range r.Next {
			n = NormalizeRegion(n)
			switch {
			case !ValidRegion(n):
				return nil, fmt.Errorf("%w: order: route of %q: %q is not a region name", ErrInvalidConfig, from, n)
			case seen[n]:
				return nil, fmt.Errorf("%w: order: route of %q names %q twice", ErrInvalidConfig, from, n)
			}
			seen[n] = true
			next = append(next, n)
		}
		o.next[from] = next
		if i == 0 {
			o.home = from
		}
	}
	return o, nil
}

// Home returns the region of callers that name none: the first route's region, or ""
// when there is no route.
func (o *Order) Home() string { return o.home }

// Search returns the regions to try for a caller in region (normalized; "" means the
// home region), nearest first: the region itself, then its route's. Every region not in
// the list comes after it, equally near; Search returns nil when the caller has no
// region and there is no home region.
func (o *Order) Search(region string) []string {
	region = NormalizeRegion(region)
	if region == "" {
		region = o.home
	}
	if region == "" {
		return nil
	}
	return append([]string{region}, o.next[region]...)
}
