package region_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/region"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	regionv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1"
)

// TestHandlerRefusesBadInput: bad fields answer InvalidArgument naming each one, over
// both protocols.
func TestHandlerRefusesBadInput(t *testing.T) {
	b := setup(t, region.Config{})
	r := b.replica(t)
	trainee := b.token(t, orgv1.Role_ROLE_TRAINEE)
	tests := []struct {
		name   string
		msg    *regionv1.PickEdgeRequest
		fields []string
	}{
		{name: "region with a space", msg: &regionv1.PickEdgeRequest{Region: "us east"}, fields: []string{"region"}},
		{name: "region with a dot", msg: &regionv1.PickEdgeRequest{Region: "us.east"}, fields: []string{"region"}},
		{name: "region wildcard", msg: &regionv1.PickEdgeRequest{Region: ">"}, fields: []string{"region"}},
		{name: "region too long", msg: &regionv1.PickEdgeRequest{Region: strings.Repeat("a", region.MaxRegionLen+1)}, fields: []string{"region"}},
		{name: "hint too long", msg: &regionv1.PickEdgeRequest{Hint: strings.Repeat("h", region.MaxHintLen+1)}, fields: []string{"hint"}},
		{name: "hint with a control character", msg: &regionv1.PickEdgeRequest{Hint: "edge\x001"}, fields: []string{"hint"}},
		{name: "both", msg: &regionv1.PickEdgeRequest{Region: "ü", Hint: "a\tb"}, fields: []string{"region", "hint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range r.clients() {
				t.Run(p.name, func(t *testing.T) {
					_, err := p.c.PickEdge(t.Context(), req(tt.msg, trainee))
					d := wantError(t, err, connect.CodeInvalidArgument, "VALIDATION_ERROR")
					var got []string
					for _, v := range d.GetFieldViolations() {
						got = append(got, v.GetField())
					}
					if !slices.Equal(got, tt.fields) {
						t.Fatalf("violations %v, want %v", got, tt.fields)
					}
				})
			}
		})
	}
}

// TestHandlerAuthorization: the real auth interceptor and policy: anonymous calls are
// Unauthenticated, members pick, only super admins list.
func TestHandlerAuthorization(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r := b.replica(t)
	b.beatUntilSeen(t, []*replica{r}, fakeEdge{id: "e", region: "local", capacity: 100})
	tests := []struct {
		name               string
		token              string
		pickCode, listCode connect.Code // 0: allowed
	}{
		{name: "anonymous", token: "", pickCode: connect.CodeUnauthenticated, listCode: connect.CodeUnauthenticated},
		{name: "bad token", token: "not-a-token", pickCode: connect.CodeUnauthenticated, listCode: connect.CodeUnauthenticated},
		{name: "trainee", token: b.token(t, orgv1.Role_ROLE_TRAINEE), listCode: connect.CodePermissionDenied},
		{name: "dealership admin", token: b.token(t, orgv1.Role_ROLE_DEALERSHIP_ADMIN), listCode: connect.CodePermissionDenied},
		{name: "super admin", token: b.token(t, orgv1.Role_ROLE_SUPER_ADMIN)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range r.clients() {
				t.Run(p.name, func(t *testing.T) {
					_, err := p.c.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "local"}, tt.token))
					if got := connect.CodeOf(err); (err == nil) != (tt.pickCode == 0) || (err != nil && got != tt.pickCode) {
						t.Fatalf("PickEdge: %v, want code %v", err, tt.pickCode)
					}
					res, err := p.c.ListEdges(t.Context(), req(&regionv1.ListEdgesRequest{}, tt.token))
					if got := connect.CodeOf(err); (err == nil) != (tt.listCode == 0) || (err != nil && got != tt.listCode) {
						t.Fatalf("ListEdges: %v, want code %v", err, tt.listCode)
					}
					if err == nil && (len(res.Msg.GetEdges()) != 1 || res.Msg.GetEdges()[0].GetId() != "e") {
						t.Fatalf("ListEdges = %v, want edge e", res.Msg.GetEdges())
					}
				})
			}
		})
	}
}

// TestRedisDownIsUnavailable: with the fleet view unreachable both procedures answer
// Unavailable / UNAVAILABLE, not Internal.
func TestRedisDownIsUnavailable(t *testing.T) {
	b := setup(t, region.Config{})
	svc, err := region.New(region.Config{Redis: redistest.Unreachable(t), Log: apitest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cc, gc := b.serve(t, svc)
	r := &replica{svc: svc, connect: cc, grpc: gc}
	for _, p := range r.clients() {
		t.Run(p.name, func(t *testing.T) {
			_, err := p.c.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{}, b.token(t, orgv1.Role_ROLE_TRAINEE)))
			wantError(t, err, connect.CodeUnavailable, "UNAVAILABLE")
			_, err = p.c.ListEdges(t.Context(), req(&regionv1.ListEdgesRequest{}, b.token(t, orgv1.Role_ROLE_SUPER_ADMIN)))
			wantError(t, err, connect.CodeUnavailable, "UNAVAILABLE")
		})
	}
}
