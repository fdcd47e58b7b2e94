package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Redis holds the cached searches and each dealership's knowledge-base version.
	// Required.
	Redis *redis.Client
	// Pool loads a knowledge-base version that Redis does not hold: a replica or the
	// primary. Required.
	Pool *pgxpool.Pool
	// TTL is how long a cached search lives; zero or negative caches nothing (the
	// versions are kept all the same).
	TTL time.Duration
	// KeyPrefix starts every Redis key; it may be empty.
	KeyPrefix string
	// Log receives the warnings about Redis; nil discards them.
	Log *slog.Logger
}

// Cache is the read path's front door: it answers a search from Redis when the same
// search (dealership, embedder, normalised query, top-k, tags) was answered at the
// dealership's current knowledge-base version, and otherwise runs its Searcher and
// stores the answer. The write path moves the version on with SetVersion after every
// change, so entries of earlier versions are never read again and expire. Redis
// failures cost the cache, never the search. Its methods are safe for concurrent use.
type Cache struct {
	searcher *Searcher
	rdb      *redis.Client
	pool     *pgxpool.Pool
	ttl      time.Duration
	prefix   string
	log      *slog.Logger
}

// NewCache returns the Cache in front of s.
func NewCache(s *Searcher, cfg CacheConfig) (*Cache, error) {
	switch {
	case s == nil:
		return nil, fmt.Errorf("%w: a Searcher is required", ErrInvalidConfig)
	case cfg.Redis == nil:
		return nil, fmt.Errorf("%w: Redis is required", ErrInvalidConfig)
	case cfg.Pool == nil:
		return nil, fmt.Errorf("%w: Pool is required", ErrInvalidConfig)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Cache{searcher: s, rdb: cfg.Redis, pool: cfg.Pool, ttl: cfg.TTL, prefix: cfg.KeyPrefix, log: cfg.Log}, nil
}

// Search answers q from the cache or, on a miss, from the Searcher, and caches the
// answer.
func (c *Cache) Search(ctx context.Context, q Query) ([]*knowledgev1.SearchResult, error) {
	start := time.Now()
	norm := normaliseQuery(q.Query)
	tags := slices.Clone(q.Tags)
	sort.Strings(tags)
	key, cached, hit := c.lookup(ctx, q.DealershipID, norm, q.TopK, tags)
	if hit {
		cacheRequests.WithLabelValues("hit").Inc()
		searchDuration.WithLabelValues("hit").Observe(time.Since(start).Seconds())
		return cached, nil
	}
	// A replica may not have replayed the version the key names yet: its answer is
	// then older than the key says, and is not cached. The replica's version is read
	// before the search, so the search sees at least that state.
	if key != "" && !c.caughtUp(ctx, q.DealershipID, key) {
		key = ""
	}
	results, err := c.searcher.search(ctx, q.DealershipID, norm, q.TopK, tags)
	if err != nil {
		return nil, err
	}
	if key != "" {
		c.store(ctx, key, results)
	}
	searchDuration.WithLabelValues("miss").Observe(time.Since(start).Seconds())
	return results, nil
}

// lookup returns the search's cache key ("" when caching is off or Redis failed) and,
// on a hit, the cached results.
func (c *Cache) lookup(ctx context.Context, dealershipID, norm string, k int, tags []string) (key string, cached []*knowledgev1.SearchResult, hit bool) {
	if c.ttl <= 0 {
		return "", nil, false
	}
	kb, err := c.version(ctx, dealershipID)
	if err != nil {
		cacheRequests.WithLabelValues("error").Inc()
		c.log.WarnContext(ctx, "knowledge version read failed", "error", err.Error())
		return "", nil, false
	}
	sum := sha256.Sum256([]byte(c.searcher.emb.ID() + "\x00" + strconv.Itoa(k) + "\x00" + strings.Join(tags, "\x1f") + "\x00" + norm))
	key = c.prefix + "knowledge:search:" + dealershipID + ":" + strconv.FormatInt(kb, 10) + ":" + hex.EncodeToString(sum[:16])
	raw, err := c.rdb.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		var res knowledgev1.SearchResponse
		if proto.Unmarshal(raw, &res) == nil {
			return key, res.Results, true
		}
	case errors.Is(err, redis.Nil):
	default:
		cacheRequests.WithLabelValues("error").Inc()
		c.log.WarnContext(ctx, "search cache read failed", "error", err.Error())
		return "", nil, false
	}
	cacheRequests.WithLabelValues("miss").Inc()
	return key, nil, false
}

// caughtUp reports whether the pool searches run on (a replica, or the primary) has
// reached the knowledge-base version in key.
func (c *Cache) caughtUp(ctx context.Context, dealershipID, key string) bool {
	parts := strings.Split(strings.TrimPrefix(key, c.prefix+"knowledge:search:"), ":")
	if len(parts) < 2 {
		return false
	}
	want, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return false
	}
	have, err := loadKBVersion(ctx, c.pool, dealershipID)
	if err != nil {
		return false
	}
	if have < want {
		cacheRequests.WithLabelValues("stale_replica").Inc()
		return false
	}
	return true
}

// store caches results under key for the TTL.
func (c *Cache) store(ctx context.Context, key string, results []*knowledgev1.SearchResult) {
	raw, err := proto.Marshal(&knowledgev1.SearchResponse{Results: results})
	if err != nil {
		return
	}
	if err := c.rdb.Set(ctx, key, raw, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "search cache write failed", "error", err.Error())
	}
}

func (c *Cache) versionKey(dealershipID string) string {
	return c.prefix + "knowledge:kbv:" + dealershipID
}

// version returns the dealership's knowledge-base version from Redis, loading it from
// PostgreSQL when Redis does not have it.
func (c *Cache) version(ctx context.Context, dealershipID string) (int64, error) {
	v, err := c.rdb.Get(ctx, c.versionKey(dealershipID)).Int64()
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read knowledge version: %w", err)
	}
	kb, err := loadKBVersion(ctx, c.pool, dealershipID)
	if err != nil {
		return 0, err
	}
	if err := c.raiseVersion(ctx, dealershipID, kb); err != nil {
		return 0, err
	}
	return kb, nil
}

// SetVersion records kb as the dealership's knowledge-base version unless Redis holds
// a later one (racing writers never move it backwards): the searches cached at earlier
// versions are no longer read. When Redis fails, it drops the dealership's version
// key, so that the next search reloads the version from PostgreSQL, and returns the
// error.
func (c *Cache) SetVersion(ctx context.Context, dealershipID string, kb int64) error {
	if err := c.raiseVersion(ctx, dealershipID, kb); err != nil {
		_ = c.rdb.Del(ctx, c.versionKey(dealershipID)).Err()
		return err
	}
	return nil
}

// raiseScript sets the key to ARGV[1] unless it already holds a larger version.
var raiseScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`)

func (c *Cache) raiseVersion(ctx context.Context, dealershipID string, kb int64) error {
	if err := raiseScript.Run(ctx, c.rdb, []string{c.versionKey(dealershipID)}, kb).Err(); err != nil {
		return fmt.Errorf("store knowledge version: %w", err)
	}
	return nil
}
