package region

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/events"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// Defaults of Config.
const (
	DefaultHeartbeatTimeout = 15 * time.Second
	DefaultForgetAfter      = 10 * time.Minute
	DefaultMaxCPU           = 0.9
)

// MaxEdgeIDLen is the longest edge id a heartbeat may carry; MaxHintLen the longest
// PickEdge hint.
const (
	MaxEdgeIDLen = 128
	MaxHintLen   = 256
)

// maxVersionLen caps the version kept from a heartbeat.
const maxVersionLen = 128

// Config configures a Service.
type Config struct {
	// Redis holds the fleet view shared by every core replica. Required.
	Redis redis.Scripter
	// KeyPrefix starts every Redis key; default "avatar:".
	KeyPrefix string
	// Bus is the NATS connection the heartbeats arrive on, and their subject names. Run
	// needs it; PickEdge and ListEdges do not.
	Bus *events.Bus
	// Order is the region order for callers whose region has no edge that takes calls;
	// the first route's region is the home region. Default none (see Order).
	Order []Route
	// HeartbeatTimeout is how long an edge may go unheard before it takes no new call
	// (STALE). Default DefaultHeartbeatTimeout, three heartbeats.
	HeartbeatTimeout time.Duration
	// ForgetAfter is how long an unheard edge stays listed (as STALE) before it leaves
	// the view; more than HeartbeatTimeout. Default DefaultForgetAfter.
	ForgetAfter time.Duration
	// MaxCPU is the CPU load above which an edge takes no new call (FULL), from above 0
	// to 1; 1 turns the check off. Default DefaultMaxCPU.
	MaxCPU float64
	// Log receives the service's logs; nil discards them.
	Log *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Redis == nil {
		return c, fmt.Errorf("%w: Redis is required", ErrInvalidConfig)
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "avatar:"
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.ForgetAfter == 0 {
		c.ForgetAfter = max(DefaultForgetAfter, 2*c.HeartbeatTimeout)
	}
	if c.MaxCPU == 0 {
		c.MaxCPU = DefaultMaxCPU
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.HeartbeatTimeout < time.Millisecond:
		return c, fmt.Errorf("%w: HeartbeatTimeout %s must be at least 1ms", ErrInvalidConfig, c.HeartbeatTimeout)
	case c.ForgetAfter <= c.HeartbeatTimeout:
		return c, fmt.Errorf("%w: ForgetAfter %s must be more than HeartbeatTimeout %s", ErrInvalidConfig, c.ForgetAfter, c.HeartbeatTimeout)
	case !(c.MaxCPU > 0 && c.MaxCPU <= 1):
		return c, fmt.Errorf("%w: MaxCPU %g must be above 0 and at most 1", ErrInvalidConfig, c.MaxCPU)
	}
	return c, nil
}

// Service keeps the fleet view and places calls on edges. Its methods are safe for
// concurrent use, and any number of Services (one per core replica) may share one Redis
// key prefix.
type Service struct {
	cfg   Config
	order *Order
	fleet *fleet
	log   *slog.Logger
}

// New returns a Service; it does not touch Redis or NATS. A bad Config wraps
// ErrInvalidConfig.
func New(cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	order, err := NewOrder(cfg.Order...)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, order: order, fleet: newFleet(cfg.Redis, cfg.KeyPrefix), log: cfg.Log}, nil
}

// Pick places a call: it returns the edge that takes it (see the package doc for the
// preference) and counts the call against that edge's slots until its next heartbeat.
// region is the caller's region ("" for the home region) and hint an optional edge id
// to prefer. It returns ErrNoEdge when no edge takes calls, or an error wrapping
// ErrUnavailable when Redis fails.
func (s *Service) Pick(ctx context.Context, region, hint string) (Edge, error) {
	region = NormalizeRegion(region)
	if region == "" {
		region = s.order.Home()
	}
	edges, err := s.List(ctx)
	if err != nil {
		picks.WithLabelValues("failed").Inc()
		return Edge{}, err
	}
	for _, c := range s.rank(edges, region, strings.TrimSpace(hint)) {
		placed, err := s.fleet.place(ctx, c.edge.ID, s.cfg.HeartbeatTimeout, s.cfg.ForgetAfter)
		if err != nil {
			picks.WithLabelValues("failed").Inc()
			return Edge{}, err
		}
		if placed == 0 {
			continue // a concurrent pick took its last slot, or it went stale
		}
		e := c.edge
		e.PlacedCalls = placed
		e.State = e.state(s.cfg.HeartbeatTimeout, s.cfg.MaxCPU)
		picks.WithLabelValues(c.why).Inc()
		s.log.DebugContext(ctx, "call placed", "region", region, "edge_id", e.ID, "edge_region", e.Region, "why", c.why, "free", e.Free())
		return e, nil
	}
	picks.WithLabelValues("none").Inc()
	return Edge{}, ErrNoEdge
}

// candidate is an edge PickEdge may place on, and the reason it is tried (a metric
// label): "hint", "local" (the caller's region) or "fallback" (another region).
type candidate struct {
	edge Edge
	why  string
}

// rank returns the READY edges in the order Pick tries them, for a caller in region
// (already the home region when the caller named none).
func (s *Service) rank(edges []Edge, region, hint string) []candidate {
	ready := make([]Edge, 0, len(edges))
	for _, e := range edges {
		if e.State == StateReady {
			ready = append(ready, e)
		}
	}
	slices.SortFunc(ready, byHeadroom)
	out := make([]candidate, 0, len(ready)+1)
	taken := make(map[string]bool, len(ready))
	add := func(e Edge, why string) {
		if !taken[e.ID] {
			taken[e.ID] = true
			out = append(out, candidate{edge: e, why: why})
		}
	}
	if hint != "" {
		for _, e := range ready {
			if e.ID == hint {
				add(e, "hint")
			}
		}
	}
	search := s.order.Search(region)
	for i, r := range search {
		why := "fallback"
		if i == 0 && r == region {
			why = "local"
		}
		for _, e := range ready {
			if e.Region == r {
				add(e, why)
			}
		}
	}
	for _, e := range ready {
		why := "fallback"
		if e.Region == region {
			why = "local"
		}
		add(e, why)
	}
	return out
}

// byHeadroom orders edges by headroom, most first, then by CPU load, then by id, so the
// order is the same on every replica.
func byHeadroom(a, b Edge) int {
	if c := cmp.Compare(b.Headroom(), a.Headroom()); c != 0 {
		return c
	}
	if c := cmp.Compare(clamp01(a.CPULoad), clamp01(b.CPULoad)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// List returns every edge in the view with its state, by region and id. It fails with
// an error wrapping ErrUnavailable when Redis does.
func (s *Service) List(ctx context.Context) ([]Edge, error) {
	edges, _, err := s.fleet.read(ctx, s.cfg.ForgetAfter)
	if err != nil {
		return nil, err
	}
	for i := range edges {
		edges[i].State = edges[i].state(s.cfg.HeartbeatTimeout, s.cfg.MaxCPU)
	}
	slices.SortFunc(edges, func(a, b Edge) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.ID, b.ID))
	})
	return edges, nil
}

// Record stores a heartbeat in the view, as Run does for each one it receives. A
// heartbeat older (by its edge's clock) than the one stored for its edge is ignored. It
// returns an error wrapping ErrInvalidHeartbeat for a heartbeat without an edge id or
// time, or with a bad region or URL, and one wrapping ErrUnavailable when Redis fails.
func (s *Service) Record(ctx context.Context, hb *eventsv1.EdgeHeartbeat) error {
	_, err := s.record(ctx, hb)
	return err
}

// record is Record, also reporting whether the heartbeat was newer than the stored one.
func (s *Service) record(ctx context.Context, hb *eventsv1.EdgeHeartbeat) (bool, error) {
	n, err := normalize(hb)
	if err != nil {
		return false, err
	}
	return s.fleet.record(ctx, n, s.cfg.ForgetAfter)
}

// normalize checks hb and returns the copy to store: region in lower case, counts not
// negative, CPU load within 0 and 1, version trimmed.
func normalize(hb *eventsv1.EdgeHeartbeat) (*eventsv1.EdgeHeartbeat, error) {
	n := proto.CloneOf(hb)
	n.EdgeId = strings.TrimSpace(n.GetEdgeId())
	n.Region = NormalizeRegion(n.GetRegion())
	switch {
	case n.EdgeId == "" || len(n.EdgeId) > MaxEdgeIDLen || !printable(n.EdgeId):
		return nil, fmt.Errorf("%w: edge id %q must be 1 to %d printable characters", ErrInvalidHeartbeat, n.EdgeId, MaxEdgeIDLen)
	case !ValidRegion(n.Region):
		return nil, fmt.Errorf("%w: edge %q: region %q is not a region name", ErrInvalidHeartbeat, n.EdgeId, n.Region)
	case n.GetTime() == nil || !n.GetTime().IsValid():
		return nil, fmt.Errorf("%w: edge %q: no time", ErrInvalidHeartbeat, n.EdgeId)
	}
	u, err := url.Parse(n.GetUrl())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: edge %q: url %q must be an http(s) URL", ErrInvalidHeartbeat, n.EdgeId, n.GetUrl())
	}
	n.ActiveCalls = max(0, n.GetActiveCalls())
	n.Capacity = max(0, n.GetCapacity())
	n.CpuLoad = clamp01(n.GetCpuLoad())
	n.Version = strings.TrimSpace(n.GetVersion())
	if len(n.Version) > maxVersionLen || !printable(n.Version) {
		n.Version = ""
	}
	return n, nil
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}
