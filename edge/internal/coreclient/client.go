package coreclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// DealershipHeader names the dealership a call with the edge's service key
// acts for.
const DealershipHeader = "X-Avatar-Dealership-Id"

// KnowledgeChangedSubject is the subject pattern Watch subscribes to.
const KnowledgeChangedSubject = "avatar.knowledge.changed.*"

// Defaults of Config.
const (
	DefaultSearchTimeout   = 2 * time.Second
	DefaultScenarioTimeout = 5 * time.Second
	DefaultCacheEntries    = 4096
	// tokenMargin is how long before its expiry a token stops being used.
	tokenMargin = 10 * time.Second
)

// Config sets up a Client.
type Config struct {
	// BaseURL is the core's URL; required.
	BaseURL string
	// HTTPClient carries the calls (default: one with HTTP/2 over
	// cleartext and HTTP/1.1, and connection reuse).
	HTTPClient *http.Client
	// APIKey, optional, is the edge's service key (ROLE_EDGE_SERVICE), used
	// when the caller's own token is missing or about to expire (a voice
	// call outlives a 15-minute access token).
	APIKey string
	// SearchTimeout bounds one Search (default DefaultSearchTimeout).
	SearchTimeout time.Duration
	// ScenarioTimeout bounds one GetScenario (default
	// DefaultScenarioTimeout).
	ScenarioTimeout time.Duration
	// CacheEntries bounds the search cache (default DefaultCacheEntries; a
	// negative value turns it off).
	CacheEntries int
	// Logger receives warnings (default: discarded).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Caller is who a call is made for.
type Caller struct {
	// Token is the caller's access token, used until shortly before
	// Expires.
	Token   string
	Expires time.Time
	// DealershipID is the caller's dealership: the cache's scope, and the
	// dealership the service key acts for.
	DealershipID string
}

// Client calls the core. It is safe for concurrent use.
type Client struct {
	cfg       Config
	log       *slog.Logger
	knowledge knowledgev1connect.KnowledgeServiceClient
	scenarios scenariov1connect.ScenarioServiceClient
	cache     *lru.Cache[cacheKey, []*knowledgev1.SearchResult]

	mu  sync.Mutex
	gen map[string]uint64 // knowledge generation per dealership
}

type cacheKey struct {
	dealership string
	gen        uint64
	topK       int
	query      string
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: BaseURL is required", ErrConfig)
	}
	if cfg.HTTPClient == nil {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		cfg.HTTPClient = &http.Client{Transport: &http.Transport{Protocols: p, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	}
	if cfg.SearchTimeout <= 0 {
		cfg.SearchTimeout = DefaultSearchTimeout
	}
	if cfg.ScenarioTimeout <= 0 {
		cfg.ScenarioTimeout = DefaultScenarioTimeout
	}
	if cfg.CacheEntries == 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{
		cfg: cfg, log: cfg.Logger, gen: map[string]uint64{},
		knowledge: knowledgev1connect.NewKnowledgeServiceClient(cfg.HTTPClient, base),
		scenarios: scenariov1connect.NewScenarioServiceClient(cfg.HTTPClient, base),
	}
	if cfg.CacheEntries > 0 {
		cache, err := lru.New[cacheKey, []*knowledgev1.SearchResult](cfg.CacheEntries)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		c.cache = cache
	}
	return c, nil
}

// authorize sets the credentials of a request made for caller.
func (c *Client) authorize(h http.Header, caller Caller) error {
	if caller.Token != "" && (caller.Expires.IsZero() || c.cfg.Now().Add(tokenMargin).Before(caller.Expires)) {
		h.Set("Authorization", "Bearer "+caller.Token)
		return nil
	}
	if c.cfg.APIKey != "" && caller.DealershipID != "" {
		h.Set("Authorization", "Bearer "+c.cfg.APIKey)
		h.Set(DealershipHeader, caller.DealershipID)
		return nil
	}
	if caller.Token != "" {
		h.Set("Authorization", "Bearer "+caller.Token) // expired: the core says so
		return nil
	}
	return fmt.Errorf("%w: no credentials for the caller", ErrUnauthenticated)
}

// Search returns the caller's dealership's best passages for query, from
// the cache when the same query was asked since the dealership's knowledge
// last changed.
func (c *Client) Search(ctx context.Context, caller Caller, query string, topK int) ([]*knowledgev1.SearchResult, error) {
	key := cacheKey{dealership: caller.DealershipID, gen: c.generation(caller.DealershipID), topK: topK, query: normalize(query)}
	if c.cache != nil && caller.DealershipID != "" {
		if res, ok := c.cache.Get(key); ok {
			cacheHits.Inc()
			return res, nil
		}
	}
	cacheMisses.Inc()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.SearchTimeout)
	defer cancel()
	req := connect.NewRequest(&knowledgev1.SearchRequest{Query: query, TopK: int32(topK)})
	if err := c.authorize(req.Header(), caller); err != nil {
		return nil, err
	}
	t0 := time.Now()
	resp, err := c.knowledge.Search(ctx, req)
	searchSeconds.Observe(time.Since(t0).Seconds())
	if err != nil {
		return nil, fmt.Errorf("search: %w", classify(err))
	}
	res := resp.Msg.GetResults()
	// Store only if the generation has not moved while we asked: a result
	// fetched across a change may be stale.
	if c.cache != nil && caller.DealershipID != "" && c.generation(caller.DealershipID) == key.gen {
		c.cache.Add(key, res)
	}
	return res, nil
}

// Scenario returns a scenario the caller may read: its latest version, or
// version when above zero.
func (c *Client) Scenario(ctx context.Context, caller Caller, id string, version int32) (*scenariov1.Scenario, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ScenarioTimeout)
	defer cancel()
	req := connect.NewRequest(&scenariov1.GetScenarioRequest{Id: id, Version: version})
	if err := c.authorize(req.Header(), caller); err != nil {
		return nil, err
	}
	resp, err := c.scenarios.GetScenario(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("get scenario: %w", classify(err))
	}
	return resp.Msg.GetScenario(), nil
}

// Invalidate drops the cached searches of a dealership.
func (c *Client) Invalidate(dealershipID string) {
	c.mu.Lock()
	c.gen[dealershipID]++
	c.mu.Unlock()
	cacheInvalidations.Inc()
}

func (c *Client) generation(dealershipID string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen[dealershipID]
}

// Watch subscribes to knowledge changes on nc and invalidates the changed
// dealership's searches until ctx ends. A message it cannot read drops the
// subject's dealership anyway (its last token).
func (c *Client) Watch(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.Subscribe(KnowledgeChangedSubject, func(m *nats.Msg) {
		var ev eventsv1.KnowledgeChanged
		d := ""
		if err := proto.Unmarshal(m.Data, &ev); err == nil {
			d = ev.GetDealershipId()
		}
		if d == "" {
			d = m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		}
		c.Invalidate(d)
	})
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", KnowledgeChangedSubject, err)
	}
	go func() {
		<-ctx.Done()
		_ = sub.Unsubscribe()
	}()
	return nil
}

// normalize makes equal questions share a cache entry.
func normalize(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

// classify maps the core's answer to this package's errors.
func classify(err error) error {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	switch ce.Code() {
	case connect.CodeNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, ce.Message())
	case connect.CodeUnauthenticated:
		return fmt.Errorf("%w: %s", ErrUnauthenticated, ce.Message())
	case connect.CodePermissionDenied:
		return fmt.Errorf("%w: %s", ErrDenied, ce.Message())
	case connect.CodeResourceExhausted:
		return fmt.Errorf("%w: %s", ErrRateLimited, ce.Message())
	case connect.CodeInvalidArgument:
		return fmt.Errorf("%w: %s", ErrInvalid, ce.Message())
	default:
		return fmt.Errorf("%w: %s: %s", ErrUnavailable, ce.Code(), ce.Message())
	}
}
