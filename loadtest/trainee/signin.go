package trainee

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// SignIn is how a tool's callers sign in: the core, and the trainee
// account, or the numbered accounts, they sign in as. The load tester and
// the density command take it from the same flags.
type SignIn struct {
	// CoreURL is the core (sign-in, scenarios, placement).
	CoreURL string
	// Email is the trainee, or with Accounts a pattern holding one %d.
	Email string
	// Password is the trainees' password.
	Password string
	// Accounts is how many numbered accounts the callers share (0: all
	// sign in as Email).
	Accounts int
}

// AddFlags registers -core, -email, -password and -accounts on fs, with
// defaults from AVATAR_CORE_URL, AVATAR_EMAIL and AVATAR_PASSWORD (else the
// demo trainee on a local core). coreUse says what the tool calls the core
// for.
func (s *SignIn) AddFlags(fs *flag.FlagSet, getenv func(string) string, coreUse string) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&s.CoreURL, "core", env("AVATAR_CORE_URL", "http://localhost:8080"), "core URL ("+coreUse+")")
	fs.StringVar(&s.Email, "email", env("AVATAR_EMAIL", "trainee@demo-motors.test"), "trainee to sign in as; with -accounts, a pattern with one %d")
	fs.StringVar(&s.Password, "password", env("AVATAR_PASSWORD", "avatar-demo-password"), "the trainees' password")
	fs.IntVar(&s.Accounts, "accounts", 0, "callers sign in as this many accounts, -email numbered 1 to N (loadtest/stack.sh seeds them); caller i is account i mod N + 1. 0: all as -email")
}

// Check returns what is wrong with the values, nil when nothing is.
func (s SignIn) Check() []error {
	var errs []error
	if err := CheckURL("-core", s.CoreURL); err != nil {
		errs = append(errs, err)
	}
	if s.Email == "" || s.Password == "" {
		errs = append(errs, errors.New("-email and -password (or AVATAR_EMAIL, AVATAR_PASSWORD) are required"))
	}
	if s.Accounts < 0 || (s.Accounts > 0) != strings.Contains(s.Email, "%d") {
		errs = append(errs, fmt.Errorf("-accounts %d with -email %q: a count of accounts goes with an email pattern holding %%d, and 0 with a plain email", s.Accounts, s.Email))
	}
	return errs
}

// Open returns the callers' accounts, with the first one signed in and its
// token.
func (s SignIn) Open(ctx context.Context, hc *http.Client) (*Accounts, string, error) {
	accounts, err := NewAccounts(hc, s.CoreURL, s.Email, s.Password, s.Accounts)
	if err != nil {
		return nil, "", err
	}
	token, err := accounts.Token(ctx, 0)
	if err != nil {
		return nil, "", err
	}
	return accounts, token, nil
}

// CheckURL returns an error naming flag unless v is an http(s) URL with a
// host.
func CheckURL(flag, v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host[:port]", flag, v)
	}
	return nil
}
