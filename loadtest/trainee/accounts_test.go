package trainee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
)

// authServer answers AuthService/Login with a token naming the email, and
// refuses the first refuse logins of each email as rate limited, as the
// core does over its budget.
type authServer struct {
	authv1connect.UnimplementedAuthServiceHandler
	refuse int

	mu     sync.Mutex
	logins map[string]int
	at     []time.Time
}

func (s *authServer) Login(_ context.Context, r *connect.Request[authv1.LoginRequest]) (*connect.Response[authv1.LoginResponse], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins[r.Msg.GetEmail()]++
	s.at = append(s.at, time.Now())
	if s.logins[r.Msg.GetEmail()] <= s.refuse {
		return nil, connect.NewError(connect.CodeResourceExhausted, errors.New("rate limit exceeded"))
	}
	if r.Msg.GetPassword() != "pw" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("bad credentials"))
	}
	return connect.NewResponse(&authv1.LoginResponse{AccessToken: "token-" + r.Msg.GetEmail()}), nil
}

func startAuth(t *testing.T, refuse int) (*authServer, string) {
	t.Helper()
	s := &authServer{refuse: refuse, logins: map[string]int{}}
	mux := http.NewServeMux()
	mux.Handle(authv1connect.NewAuthServiceHandler(s))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func TestNewAccounts(t *testing.T) {
	tests := []struct {
		name    string
		email   string
		count   int
		wantErr bool
	}{
		{name: "one shared account", email: "trainee@demo-motors.test"},
		{name: "numbered accounts", email: "caller-%d@demo-motors.test", count: 12},
		{name: "pattern without a count", email: "caller-%d@demo-motors.test", wantErr: true},
		{name: "count without a pattern", email: "trainee@demo-motors.test", count: 3, wantErr: true},
		{name: "two verbs", email: "c-%d-%d@x.test", count: 3, wantErr: true},
		{name: "negative count", email: "c-%d@x.test", count: -1, wantErr: true},
		{name: "no email", email: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAccounts(http.DefaultClient, "http://core", tt.email, "pw", tt.count)
			if (err != nil) != tt.wantErr {
				t.Errorf("err %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestAccountsEmail(t *testing.T) {
	tests := []struct {
		name  string
		email string
		count int
		call  int
		want  string
	}{
		{name: "shared", email: "t@x.test", call: 7, want: "t@x.test"},
		{name: "first caller, first account", email: "c-%d@x.test", count: 4, call: 0, want: "c-1@x.test"},
		{name: "last account", email: "c-%d@x.test", count: 4, call: 3, want: "c-4@x.test"},
		{name: "more callers than accounts wrap", email: "c-%d@x.test", count: 4, call: 5, want: "c-2@x.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAccounts(http.DefaultClient, "http://core", tt.email, "pw", tt.count)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Email(tt.call); got != tt.want {
				t.Errorf("Email(%d) = %q, want %q", tt.call, got, tt.want)
			}
		})
	}
}

func TestAccountsToken(t *testing.T) {
	const interval = 60 * time.Millisecond
	tests := []struct {
		name     string
		count    int // accounts
		callers  int
		refuse   int // rate-limited refusals per account before a sign-in goes through
		password string
		wantErr  bool
	}{
		{name: "one account, one sign-in for all callers", count: 0, callers: 5, password: "pw"},
		{name: "an account each, paced after the burst", count: LoginBurst + 3, callers: LoginBurst + 3, password: "pw"},
		{name: "fewer accounts than callers", count: 3, callers: 7, password: "pw"},
		{name: "rate limited, then through", count: 2, callers: 2, refuse: 2, password: "pw"},
		{name: "rate limited every time", count: 1, callers: 1, refuse: loginTries, password: "pw", wantErr: true},
		{name: "wrong password", count: 2, callers: 2, password: "nope", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := startAuth(t, tt.refuse)
			email := "t@x.test"
			if tt.count > 0 {
				email = "c-%d@x.test"
			}
			a, err := NewAccounts(http.DefaultClient, url, email, tt.password, tt.count)
			if err != nil {
				t.Fatal(err)
			}
			a.interval, a.retry = interval, 10*time.Millisecond
			var wg sync.WaitGroup
			errs := make([]error, tt.callers)
			tokens := make([]string, tt.callers)
			start := time.Now()
			for i := range tt.callers {
				wg.Go(func() { tokens[i], errs[i] = a.Token(t.Context(), i) })
			}
			wg.Wait()
			if tt.wantErr {
				if errors.Join(errs...) == nil {
					t.Fatal("every sign-in succeeded, want errors")
				}
				return
			}
			for i := range tt.callers {
				if errs[i] != nil {
					t.Fatalf("caller %d: %v", i, errs[i])
				}
				if want := "token-" + a.Email(i); tokens[i] != want {
					t.Errorf("caller %d: token %q, want %q", i, tokens[i], want)
				}
			}
			accounts := max(tt.count, 1)
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.logins) != accounts {
				t.Errorf("%d accounts signed in, want %d", len(srv.logins), accounts)
			}
			for email, n := range srv.logins {
				if n != tt.refuse+1 {
					t.Errorf("%s signed in %d times, want %d", email, n, tt.refuse+1)
				}
			}
			// Sign-ins after the burst are spaced by the interval: the
			// first goes at once, each other one interval after it.
			if tt.refuse == 0 && len(srv.at) > LoginBurst {
				want := time.Duration(len(srv.at)-LoginBurst-1) * interval
				if got := srv.at[len(srv.at)-1].Sub(start); got < want {
					t.Errorf("the %d sign-ins after the burst took %v, want ≥ %v", len(srv.at)-LoginBurst, got, want)
				}
			}
		})
	}
}

func ExampleAccounts_Email() {
	a, err := NewAccounts(http.DefaultClient, "http://127.0.0.1:8080", "caller-%d@demo-motors.test", "avatar-demo-password", 3)
	if err != nil {
		panic(err)
	}
	for i := range 4 {
		fmt.Println(i, a.Email(i))
	}
	// Output:
	// 0 caller-1@demo-motors.test
	// 1 caller-2@demo-motors.test
	// 2 caller-3@demo-motors.test
	// 3 caller-1@demo-motors.test
}
