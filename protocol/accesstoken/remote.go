package accesstoken

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// RemoteKeySet is a KeySet backed by a JWKS URL. It caches the keys for the refresh
// interval; a token naming a kid it does not know triggers a refetch, at most once per
// minimum refetch interval, so a flood of forged kids cannot hammer the core. When a fetch
// fails it keeps serving the keys it has. It is safe for concurrent use.
type RemoteKeySet struct {
	url        string
	client     *http.Client
	refresh    time.Duration
	minRefetch time.Duration
	now        func() time.Time

	mu        sync.RWMutex
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time
	triedAt   time.Time
	fetchMu   sync.Mutex
}

// RemoteOption configures a RemoteKeySet.
type RemoteOption func(*RemoteKeySet) error

// WithHTTPClient sets the client used to fetch (default: a client with a 5 s timeout).
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(r *RemoteKeySet) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidKey)
		}
		r.client = c
		return nil
	}
}

// WithRefreshInterval sets how long fetched keys are used before a refetch (default 5 min).
func WithRefreshInterval(d time.Duration) RemoteOption {
	return func(r *RemoteKeySet) error {
		if d <= 0 {
			return fmt.Errorf("%w: refresh interval must be positive", ErrInvalidKey)
		}
		r.refresh = d
		return nil
	}
}

// WithMinRefetchInterval sets the least time between two fetches (default 10 s), which
// bounds refetches caused by unknown kids.
func WithMinRefetchInterval(d time.Duration) RemoteOption {
	return func(r *RemoteKeySet) error {
		if d < 0 {
			return fmt.Errorf("%w: min refetch interval must not be negative", ErrInvalidKey)
		}
		r.minRefetch = d
		return nil
	}
}

// NewRemoteKeySet returns a key set fetching url lazily, on first use.
func NewRemoteKeySet(url string, opts ...RemoteOption) (*RemoteKeySet, error) {
	if url == "" {
		return nil, fmt.Errorf("%w: JWKS URL is required", ErrInvalidKey)
	}
	r := &RemoteKeySet{
		url: url, client: &http.Client{Timeout: 5 * time.Second},
		refresh: 5 * time.Minute, minRefetch: 10 * time.Second, now: time.Now,
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Key implements KeySet.
func (r *RemoteKeySet) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	r.mu.RLock()
	k, ok := r.keys[kid]
	fresh := r.keys != nil && r.now().Sub(r.fetchedAt) < r.refresh
	r.mu.RUnlock()
	if ok && fresh {
		return k, nil
	}
	if err := r.maybeFetch(ctx); err != nil && !ok {
		return nil, err
	}
	r.mu.RLock()
	k, found := r.keys[kid]
	r.mu.RUnlock()
	if !found {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// Refresh fetches the JWKS now, regardless of the cache; for start-up and tests.
func (r *RemoteKeySet) Refresh(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	return r.fetch(ctx)
}

func (r *RemoteKeySet) maybeFetch(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	r.mu.RLock()
	tried := r.triedAt
	r.mu.RUnlock()
	if !tried.IsZero() && r.now().Sub(tried) < r.minRefetch {
		return nil // someone fetched (or tried) just now
	}
	return r.fetch(ctx)
}

func (r *RemoteKeySet) fetch(ctx context.Context) error {
	r.mu.Lock()
	r.triedAt = r.now()
	r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %s", ErrFetch, r.url, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: read body: %w", ErrFetch, err)
	}
	keys, err := DecodeJWKS(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFetch, err)
	}
	m := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		m[k.KID] = k.Public
	}
	r.mu.Lock()
	r.keys = m
	r.fetchedAt = r.now()
	r.mu.Unlock()
	return nil
}
