package scenario_test

import (
	"errors"
	"iter"
	"net/http"
	"os"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/scenario"
	"github.com/avatar-fi/avatar/core/internal/server"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// fixtureSlug is the one built-in scenario of testdata/builtin.
const fixtureSlug = "payment-sensitive-first-buyer"

// fixtureBuiltIns loads testdata/builtin, the stand-in for the embedded built-ins.
func fixtureBuiltIns(tb testing.TB) []scenario.BuiltIn {
	tb.Helper()
	bs, err := scenario.LoadBuiltIns(os.DirFS("testdata/builtin"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Slug != fixtureSlug {
		tb.Fatalf("testdata/builtin: want exactly %s, got %d files", fixtureSlug, len(bs))
	}
	return bs
}

// fixture returns a fresh copy of the valid test scenario.
func fixture(tb testing.TB) *scenariov1.Scenario {
	tb.Helper()
	return proto.CloneOf(fixtureBuiltIns(tb)[0].Scenario)
}

// bundle is one test's scenario service on its own database, served over HTTP/2.
type bundle struct {
	pool      *pgxpool.Pool
	svc       *scenario.Service
	cfg       scenario.Config
	dealerA   string
	dealerB   string
	builtInID string
	connect   scenariov1connect.ScenarioServiceClient
	grpc      scenariov1connect.ScenarioServiceClient
	url       string
	http      *http.Client
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := t.Context()
	b := &bundle{pool: dbtest.NewPool(t)}
	for _, d := range []*string{&b.dealerA, &b.dealerB} {
		if err := b.pool.QueryRow(ctx, `INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text`, "D-"+apitest.RandHex(4)).Scan(d); err != nil {
			t.Fatal(err)
		}
	}
	b.cfg = scenario.Config{DB: b.pool, BuiltIns: os.DirFS("testdata/builtin"), Log: apitest.Logger(t)}
	var err error
	b.svc, err = scenario.New(ctx, b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.builtInID = scenario.BuiltInID(fixtureSlug)
	b.serve(t)
	return b
}

// serve mounts the handler with the core server's options (error model, recovery) plus
// apitest.Auth on an HTTP/2 httptest server, with a Connect and a gRPC client.
func (b *bundle) serve(t *testing.T) {
	t.Helper()
	srv := apitest.Serve(t, server.Config{MaxRequestBytes: 1 << 20, Interceptors: []connect.Interceptor{apitest.Auth{}}},
		func(opts ...connect.HandlerOption) (string, http.Handler) {
			return scenariov1connect.NewScenarioServiceHandler(scenario.NewHandler(b.svc), opts...)
		}, scenariov1connect.NewScenarioServiceClient)
	b.url, b.http, b.connect, b.grpc = srv.URL, srv.HTTP, srv.Connect, srv.GRPC
}

// who sets the caller of a request.
type who func(http.Header)

// as is a caller with a role in a dealership ("" for super admins and edges).
func as(dealership string, role orgv1.Role) who { return apitest.As(dealership, role) }

// naming is a caller without a dealership of its own naming one in the header.
func naming(dealership string, role orgv1.Role) who {
	return func(h http.Header) {
		apitest.As("", role)(h)
		if dealership != "" {
			h.Set(principal.DealershipHeader, dealership)
		}
	}
}

func anonymous(http.Header) {}

func admin(d string) who   { return as(d, orgv1.Role_ROLE_DEALERSHIP_ADMIN) }
func trainee(d string) who { return as(d, orgv1.Role_ROLE_TRAINEE) }

func req[T any](msg *T, w who) *connect.Request[T] {
	r := connect.NewRequest(msg)
	w(r.Header())
	return r
}

func create(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, sc *scenariov1.Scenario, copyFrom string) (*scenariov1.Scenario, error) {
	t.Helper()
	res, err := c.CreateScenario(t.Context(), req(&scenariov1.CreateScenarioRequest{Scenario: sc, CopyFromId: copyFrom}, w))
	if err != nil {
		return nil, err
	}
	return res.Msg.Scenario, nil
}

func mustCreate(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, sc *scenariov1.Scenario, copyFrom string) *scenariov1.Scenario {
	t.Helper()
	out, err := create(t, c, w, sc, copyFrom)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

func get(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, id string, version int32) (*scenariov1.Scenario, error) {
	t.Helper()
	res, err := c.GetScenario(t.Context(), req(&scenariov1.GetScenarioRequest{Id: id, Version: version}, w))
	if err != nil {
		return nil, err
	}
	return res.Msg.Scenario, nil
}

func mustGet(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, id string, version int32) *scenariov1.Scenario {
	t.Helper()
	out, err := get(t, c, w, id, version)
	if err != nil {
		t.Fatalf("get %s version %d: %v", id, version, err)
	}
	return out
}

func update(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, sc *scenariov1.Scenario) (*scenariov1.Scenario, error) {
	t.Helper()
	res, err := c.UpdateScenario(t.Context(), req(&scenariov1.UpdateScenarioRequest{Scenario: sc}, w))
	if err != nil {
		return nil, err
	}
	return res.Msg.Scenario, nil
}

func del(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, id string) error {
	t.Helper()
	_, err := c.DeleteScenario(t.Context(), req(&scenariov1.DeleteScenarioRequest{Id: id}, w))
	return err
}

// listAll follows the pages of ListScenarios with pageSize and returns every scenario
// and the number of pages.
func listAll(t *testing.T, c scenariov1connect.ScenarioServiceClient, w who, pageSize int32) ([]*scenariov1.Scenario, int) {
	t.Helper()
	var all []*scenariov1.Scenario
	token, pages := "", 0
	for {
		res, err := c.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: pageSize, PageToken: token}, w))
		if err != nil {
			t.Fatalf("list page %d: %v", pages+1, err)
		}
		pages++
		all = append(all, res.Msg.Scenarios...)
		if token = res.Msg.NextPageToken; token == "" {
			return all, pages
		}
		if pages > 1000 {
			t.Fatal("list does not end")
		}
	}
}

func ids(scs []*scenariov1.Scenario) []string {
	out := make([]string, 0, len(scs))
	for _, s := range scs {
		out = append(out, s.Id)
	}
	return out
}

// detail returns the ErrorDetail of a Connect error.
func detail(t *testing.T, err error) (connect.Code, *errorsv1.ErrorDetail) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(*errorsv1.ErrorDetail); ok {
			return ce.Code(), ed
		}
	}
	t.Fatalf("error without ErrorDetail: %v", err)
	return 0, nil
}

// wantError fails unless err has code and reason.
func wantError(t *testing.T, err error, code connect.Code, reason string) *errorsv1.ErrorDetail {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v / %s", code, reason)
	}
	c, d := detail(t, err)
	if c != code || d.Reason != reason {
		t.Fatalf("got %v / %s (%v), want %v / %s", c, d.Reason, err, code, reason)
	}
	return d
}

// wantFields fails unless err is InvalidArgument / VALIDATION_ERROR naming exactly the
// fields want.
func wantFields(t *testing.T, err error, want ...string) {
	t.Helper()
	d := wantError(t, err, connect.CodeInvalidArgument, "VALIDATION_ERROR")
	var got []string
	for _, v := range d.FieldViolations {
		got = append(got, v.Field)
	}
	if !sameSet(got, want) {
		t.Fatalf("violations %v (%v), want fields %v", got, err, want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// countRows counts rows as the pool's (owner) role, outside tenant scope.
func (b *bundle) countRows(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// protocols yields the Connect and the gRPC client, each with its name, for a test to
// run as subtests over both.
func (b *bundle) protocols() iter.Seq2[string, scenariov1connect.ScenarioServiceClient] {
	return func(yield func(string, scenariov1connect.ScenarioServiceClient) bool) {
		_ = yield("connect", b.connect) && yield("grpc", b.grpc)
	}
}

func titled(t *testing.T, title string) *scenariov1.Scenario {
	t.Helper()
	sc := fixture(t)
	sc.Title = title
	return sc
}
