package trainee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
)

// Login pacing. The core allows 30 logins a minute per client IP with a
// burst of 30 (platform/ratelimit LoginIP), and every caller of a run signs
// in from the same address: the first LoginBurst sign-ins go at once, the
// rest one every LoginInterval, which keeps a run's own logins within the
// budget and leaves room for the scripts' administrator sign-ins.
const (
	// LoginBurst is how many sign-ins an Accounts makes without waiting.
	LoginBurst = 10
	// LoginInterval is the spacing of the sign-ins after the burst.
	LoginInterval = 2100 * time.Millisecond
	// loginTries bounds the attempts of one sign-in refused as rate
	// limited (by logins of another process from the same address).
	loginTries = 4
	// loginRetry is the wait after such a refusal.
	loginRetry = 10 * time.Second
)

// Accounts signs the callers of a run in, each as its own trainee when
// Count accounts were seeded (so that sessions and per-user rate limits are
// per caller, as in production), or all as one. Each account signs in once
// per Accounts; its token is reused by every caller that shares it. Its
// methods are safe for concurrent use.
type Accounts struct {
	hc              *http.Client
	core            string
	email, password string
	count           int

	slots []slot

	mu       sync.Mutex
	logins   int       // sign-ins started
	nextSlot time.Time // when the next paced sign-in may go
	interval time.Duration
	retry    time.Duration
}

type slot struct {
	mu    sync.Mutex
	token string
}

// NewAccounts returns the accounts of a run on core. With count 0 every
// caller signs in as email; with count > 0, email is a pattern holding one
// %d and caller i signs in as the account numbered i mod count + 1 (1 to
// count: deploy's seed_trainees creates them). All share password.
func NewAccounts(hc *http.Client, core, email, password string, count int) (*Accounts, error) {
	switch {
	case email == "" || password == "":
		return nil, errors.New("accounts: an email and a password are required")
	case count < 0:
		return nil, fmt.Errorf("accounts: count %d, want ≥ 0", count)
	case count > 0 && strings.Count(email, "%d") != 1:
		return nil, fmt.Errorf("accounts: email %q must hold one %%d for %d accounts", email, count)
	case count == 0 && strings.Contains(email, "%"):
		return nil, fmt.Errorf("accounts: email %q is a pattern; give a count of accounts", email)
	}
	return &Accounts{hc: hc, core: core, email: email, password: password, count: count,
		slots: make([]slot, max(count, 1)), interval: LoginInterval, retry: loginRetry}, nil
}

// Email returns the account caller i signs in as.
func (a *Accounts) Email(i int) string {
	if a.count == 0 {
		return a.email
	}
	return fmt.Sprintf(a.email, a.index(i)+1)
}

func (a *Accounts) index(i int) int {
	if a.count == 0 {
		return 0
	}
	return ((i % a.count) + a.count) % a.count
}

// Token returns caller i's access token, signing its account in (paced,
// and retried when the core refuses the sign-in as rate limited) on first
// use.
func (a *Accounts) Token(ctx context.Context, i int) (string, error) {
	s := &a.slots[a.index(i)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" {
		return s.token, nil
	}
	email := a.Email(i)
	var err error
	for try := 1; ; try++ {
		if err := a.pace(ctx); err != nil {
			return "", err
		}
		var token string
		token, err = Login(ctx, a.hc, a.core, email, a.password)
		if err == nil {
			s.token = token
			return token, nil
		}
		if connect.CodeOf(err) != connect.CodeResourceExhausted || try == loginTries {
			return "", err
		}
		if err := wait(ctx, a.retry); err != nil {
			return "", fmt.Errorf("sign in as %s: %w", email, err)
		}
	}
}

// pace waits for the sign-in's turn: none for the first LoginBurst, then
// one every interval.
func (a *Accounts) pace(ctx context.Context) error {
	a.mu.Lock()
	a.logins++
	if a.logins <= LoginBurst {
		a.mu.Unlock()
		return nil
	}
	now := time.Now()
	at := a.nextSlot
	if at.Before(now) {
		at = now
	}
	a.nextSlot = at.Add(a.interval)
	a.mu.Unlock()
	return wait(ctx, time.Until(at))
}

// wait sleeps d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait to sign in: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
