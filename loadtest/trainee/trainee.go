// Package trainee is what a trainee's client does on the core before a
// call: sign in, find a scenario, ask for an edge. The voice load tester
// and avatar-call both go through it, as the web app does through the same
// RPCs.
package trainee

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	regionv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// Authed wraps m in a request carrying the bearer access token.
func Authed[T any](m *T, token string) *connect.Request[T] {
	r := connect.NewRequest(m)
	r.Header().Set("Authorization", "Bearer "+token)
	return r
}

// Login signs in with a password (AuthService/Login) and returns the access
// token.
func Login(ctx context.Context, hc *http.Client, core, email, password string) (string, error) {
	if email == "" || password == "" {
		return "", fmt.Errorf("sign in to %s: an email and a password are required", core)
	}
	res, err := authv1connect.NewAuthServiceClient(hc, core).Login(ctx, connect.NewRequest(&authv1.LoginRequest{Email: email, Password: password}))
	if err != nil {
		return "", fmt.Errorf("sign in to %s as %s: %w", core, email, err)
	}
	return res.Msg.GetAccessToken(), nil
}

// FindScenario returns the scenario whose id is want, or else the first
// whose title has every word of want (case-insensitive).
func FindScenario(ctx context.Context, hc *http.Client, core, token, want string) (*scenariov1.Scenario, error) {
	res, err := scenariov1connect.NewScenarioServiceClient(hc, core).ListScenarios(ctx, Authed(&scenariov1.ListScenariosRequest{PageSize: 200}, token))
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	return match(res.Msg.GetScenarios(), want)
}

// match is FindScenario's choice among scenarios.
func match(scenarios []*scenariov1.Scenario, want string) (*scenariov1.Scenario, error) {
	words := strings.Fields(strings.ToLower(want))
	for _, s := range scenarios {
		if s.GetId() == want {
			return s, nil
		}
	}
	for _, s := range scenarios {
		ok := len(words) > 0
		for _, w := range words {
			ok = ok && strings.Contains(strings.ToLower(s.GetTitle()), w)
		}
		if ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no scenario matches %q", want)
}

// PickEdge asks the core for an edge in region (RegionService/PickEdge) and
// returns its base URL; an edge of another region (the core's fallback
// when the region has none) is refused, since a per-region measurement
// must not silently measure another region.
func PickEdge(ctx context.Context, hc *http.Client, core, token, region string) (string, error) {
	res, err := regionv1connect.NewRegionServiceClient(hc, core).PickEdge(ctx, Authed(&regionv1.PickEdgeRequest{Region: region}, token))
	if err != nil {
		return "", fmt.Errorf("pick edge in %s: %w", region, err)
	}
	e := res.Msg.GetEdge()
	if e.GetUrl() == "" {
		return "", fmt.Errorf("pick edge in %s: no edge", region)
	}
	if e.GetRegion() != region {
		return "", fmt.Errorf("pick edge in %s: the core offered %s in %s", region, e.GetId(), e.GetRegion())
	}
	return strings.TrimRight(e.GetUrl(), "/"), nil
}
