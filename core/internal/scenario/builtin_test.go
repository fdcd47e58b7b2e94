package scenario_test

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"testing/fstest"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/scenario"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// TestEmbeddedBuiltInsAreValid loads the scenario files compiled into the binary, as the
// core does at start: each must parse strictly, pass Validate and have its own id.
func TestEmbeddedBuiltInsAreValid(t *testing.T) {
	bs, err := scenario.LoadBuiltIns(scenario.BuiltInFS())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, b := range bs {
		id := uuid.MustParse(scenario.BuiltInID(b.Slug))
		if id.Version() != 5 {
			t.Errorf("%s: id %s is not a UUIDv5", b.Slug, id)
		}
		if other, dup := seen[id.String()]; dup {
			t.Errorf("%s and %s share id %s", b.Slug, other, id)
		}
		seen[id.String()] = b.Slug
	}
	t.Logf("%d built-in scenarios embedded", len(bs))
}

// TestBuiltInIDIsStable pins the id of a slug: sessions and copies refer to built-in
// scenarios by id, so the namespace must never change.
func TestBuiltInIDIsStable(t *testing.T) {
	const want = "9cf7e784-9de2-5959-83e4-4dd4448d104b"
	if got := scenario.BuiltInID(fixtureSlug); got != want {
		t.Fatalf("BuiltInID(%q) = %s, want %s: the built-in id namespace changed", fixtureSlug, got, want)
	}
	if scenario.BuiltInID("a") == scenario.BuiltInID("b") {
		t.Fatal("two slugs share an id")
	}
}

func TestLoadBuiltIns(t *testing.T) {
	valid, err := os.ReadFile("testdata/builtin/" + fixtureSlug + ".json")
	if err != nil {
		t.Fatal(err)
	}
	noOpening := fixture(t)
	noOpening.Openings = nil
	noOpeningJSON, err := protojson.Marshal(noOpening)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files fstest.MapFS
		slugs []string // nil when the load must fail
	}{
		{name: "empty", files: fstest.MapFS{}, slugs: []string{}},
		{name: "readme and directories are ignored", files: fstest.MapFS{
			"README.md":       {Data: []byte("# not a scenario")},
			"b.json":          {Data: valid},
			"a-1.json":        {Data: valid},
			"drafts/x.json":   {Data: []byte("not json")},
			"notes.json.bak":  {Data: []byte("{")},
			"sub/README.json": {Data: []byte("{")},
		}, slugs: []string{"a-1", "b"}},
		{name: "name not a slug", files: fstest.MapFS{"Payment Objection.json": {Data: valid}}},
		{name: "not JSON", files: fstest.MapFS{"a.json": {Data: []byte("{title: x")}}},
		{name: "unknown field", files: fstest.MapFS{"a.json": {Data: []byte(`{"title": "x", "persona": {"name": "Bo"}, "openings": ["Hi."], "mood": "sunny"}`)}}},
		{name: "unknown enum name", files: fstest.MapFS{"a.json": {Data: []byte(`{"title": "x", "persona": {"name": "Bo"}, "openings": ["Hi."], "rubric": [{"criterion": "c", "weight": 1, "technique": "TECHNIQUE_CHARM"}]}`)}}},
		{name: "invalid scenario", files: fstest.MapFS{"a.json": {Data: noOpeningJSON}}},
		{name: "one bad file fails all", files: fstest.MapFS{"a.json": {Data: valid}, "b.json": {Data: noOpeningJSON}}},
		{name: "minimal", files: fstest.MapFS{"tiny.json": {Data: []byte(`{"title": "x", "persona": {"name": "Bo"}, "openings": ["Hi."]}`)}}, slugs: []string{"tiny"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs, err := scenario.LoadBuiltIns(tt.files)
			if tt.slugs == nil {
				if !errors.Is(err, scenario.ErrInvalidBuiltIn) {
					t.Fatalf("got %v, want ErrInvalidBuiltIn", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, b := range bs {
				got = append(got, b.Slug)
			}
			if !sameSet(got, tt.slugs) || len(got) != len(tt.slugs) {
				t.Fatalf("slugs %v, want %v", got, tt.slugs)
			}
		})
	}
}

// TestLoadBuiltInsFillsSummaries: the summaries are derived from the details and the
// output-only fields of a file are dropped.
func TestLoadBuiltInsFillsSummaries(t *testing.T) {
	sc := fixture(t)
	if len(sc.Objections) != 2 || sc.Objections[0] != sc.ObjectionDetails[0].Lines[0] {
		t.Fatalf("objections %q, want the first line of each objection", sc.Objections)
	}
	if len(sc.HiddenFacts) != 1 || sc.HiddenFacts[0] != sc.HiddenFactDetails[0].Fact {
		t.Fatalf("hidden facts %q, want each fact", sc.HiddenFacts)
	}
	raw := []byte(`{"id": "x", "version": 7, "builtIn": false, "dealershipId": "y", "title": " Padded ", "persona": {"name": "Bo"}, "openings": ["Hi."]}`)
	bs, err := scenario.LoadBuiltIns(fstest.MapFS{"p.json": {Data: raw}})
	if err != nil {
		t.Fatal(err)
	}
	got := bs[0].Scenario
	if got.Id != "" || got.Version != 0 || got.DealershipId != "" || got.Title != "Padded" {
		t.Fatalf("stored content %v: output-only fields must be cleared and the title trimmed", got)
	}
}

// TestBuiltInSync: storing the built-ins again changes nothing, a changed file gets a new
// version (the old one stays readable), a removed file hides its scenario and a file
// that comes back restores it without a new version.
func TestBuiltInSync(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	reader := trainee(b.dealerA)
	versions := func() int {
		return b.countRows(t, `SELECT count(*) FROM scenario_versions WHERE scenario_id = $1`, b.builtInID)
	}
	orig := mustGet(t, b.connect, reader, b.builtInID, 0)
	if orig.Version != 1 || !orig.BuiltIn || orig.DealershipId != "" {
		t.Fatalf("built-in after the first start: %v", orig)
	}
	// A copy made now keeps this content whatever happens to the built-in.
	cp := mustCreate(t, b.connect, admin(b.dealerA), nil, b.builtInID)

	// A restart: same files.
	if _, err := scenario.New(ctx, b.cfg); err != nil {
		t.Fatal(err)
	}
	res, err := b.svc.SyncBuiltIns(ctx, fixtureBuiltIns(t))
	if err != nil {
		t.Fatal(err)
	}
	if res != (scenario.SyncResult{Unchanged: 1}) {
		t.Fatalf("sync of the same files: %+v", res)
	}
	if again := mustGet(t, b.connect, reader, b.builtInID, 0); again.Version != 1 || versions() != 1 {
		t.Fatalf("restart moved the version to %d (%d version rows)", again.Version, versions())
	}

	// Re-encoding the same content (another field order) is no change.
	raw, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	reencoded, err := scenario.LoadBuiltIns(fstest.MapFS{fixtureSlug + ".json": {Data: raw}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := b.svc.SyncBuiltIns(ctx, reencoded); err != nil || res != (scenario.SyncResult{Unchanged: 1}) {
		t.Fatalf("sync of re-encoded content: %+v, %v", res, err)
	}

	// A changed file.
	changed := fixtureBuiltIns(t)
	changed[0].Scenario.Title = "Payment-sensitive first-time buyer (revised)"
	changed[0].Scenario.Openings = append(changed[0].Scenario.Openings, "Hello there.")
	if res, err := b.svc.SyncBuiltIns(ctx, changed); err != nil || res != (scenario.SyncResult{Updated: 1}) {
		t.Fatalf("sync of changed content: %+v, %v", res, err)
	}
	v2 := mustGet(t, b.connect, reader, b.builtInID, 0)
	if v2.Version != 2 || v2.Title != changed[0].Scenario.Title || len(v2.Openings) != 3 {
		t.Fatalf("after the change: version %d, title %q", v2.Version, v2.Title)
	}
	if v1 := mustGet(t, b.connect, reader, b.builtInID, 1); v1.Title != orig.Title || !proto.Equal(v1, orig) {
		t.Fatalf("version 1 changed: %v", v1)
	}
	if got := mustGet(t, b.connect, reader, cp.Id, 0); got.Title != orig.Title {
		t.Fatalf("the copy followed the built-in: %q", got.Title)
	}
	if res, err := b.svc.SyncBuiltIns(ctx, changed); err != nil || res != (scenario.SyncResult{Unchanged: 1}) || versions() != 2 {
		t.Fatalf("second sync of changed content: %+v, %v, %d versions", res, err, versions())
	}

	// The file is removed: hidden from lists, its versions kept.
	if res, err := b.svc.SyncBuiltIns(ctx, nil); err != nil || res != (scenario.SyncResult{Removed: 1}) {
		t.Fatalf("sync without files: %+v, %v", res, err)
	}
	all, _ := listAll(t, b.connect, reader, 0)
	if len(all) != 1 || all[0].Id != cp.Id {
		t.Fatalf("list after the removal: %v", ids(all))
	}
	_, err = get(t, b.connect, reader, b.builtInID, 0)
	wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
	if old := mustGet(t, b.connect, reader, b.builtInID, 2); old.Title != changed[0].Scenario.Title {
		t.Fatalf("version 2 after the removal: %v", old)
	}

	// The file comes back unchanged: visible again, same version.
	if res, err := b.svc.SyncBuiltIns(ctx, changed); err != nil || res != (scenario.SyncResult{Restored: 1}) {
		t.Fatalf("sync of the file back: %+v, %v", res, err)
	}
	if back := mustGet(t, b.connect, reader, b.builtInID, 0); back.Version != 2 || versions() != 2 {
		t.Fatalf("restored built-in at version %d with %d version rows", back.Version, versions())
	}
}

// TestBuiltInSyncConcurrent: replicas starting together with a new file content bump
// the version exactly once, round after round.
func TestBuiltInSyncConcurrent(t *testing.T) {
	b := setup(t)
	const replicas, rounds = 8, 10
	for round := range rounds {
		changed := fixtureBuiltIns(t)
		changed[0].Scenario.Goal = fmt.Sprintf("Goal of round %d.", round)
		results := make([]scenario.SyncResult, replicas)
		errs := make([]error, replicas)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				<-start
				results[i], errs[i] = b.svc.SyncBuiltIns(t.Context(), changed)
			})
		}
		close(start)
		wg.Wait()
		updated := 0
		for i := range replicas {
			if errs[i] != nil {
				t.Fatalf("round %d, replica %d: %v", round, i, errs[i])
			}
			updated += results[i].Updated
		}
		if updated != 1 {
			t.Fatalf("round %d: %d replicas wrote a new version, want 1 (%+v)", round, updated, results)
		}
		got := mustGet(t, b.connect, trainee(b.dealerB), b.builtInID, 0)
		if got.Version != int32(round)+2 || got.Goal != changed[0].Scenario.Goal {
			t.Fatalf("round %d: version %d goal %q", round, got.Version, got.Goal)
		}
	}
}

// TestNewRejectsBadBuiltIns: a core with an unplayable built-in scenario does not start.
func TestNewRejectsBadBuiltIns(t *testing.T) {
	b := setup(t)
	cfg := b.cfg
	cfg.BuiltIns = fstest.MapFS{"bad.json": {Data: []byte(`{"title": ""}`)}}
	if _, err := scenario.New(t.Context(), cfg); !errors.Is(err, scenario.ErrInvalidBuiltIn) {
		t.Fatalf("New with an invalid file: %v", err)
	}
	if _, err := scenario.New(t.Context(), scenario.Config{}); !errors.Is(err, scenario.ErrInvalidConfig) {
		t.Fatalf("New without a pool: %v", err)
	}
	// Nothing was stored from the bad file.
	if n := b.countRows(t, `SELECT count(*) FROM scenarios WHERE built_in`); n != 1 {
		t.Fatalf("%d built-in scenarios stored, want the fixture only", n)
	}
}

// TestEmbeddedBuiltInsStore runs New with the files compiled into the binary, as the
// core does, twice.
func TestEmbeddedBuiltInsStore(t *testing.T) {
	b := setup(t)
	bs, err := scenario.LoadBuiltIns(scenario.BuiltInFS())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := scenario.New(t.Context(), scenario.Config{DB: b.pool, Log: apitest.Logger(t)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.countRows(t, `SELECT count(*) FROM scenarios WHERE built_in AND deleted_at IS NULL`); n != len(bs) {
		t.Fatalf("%d built-in scenarios listed, want the %d embedded", n, len(bs))
	}
	if n := b.countRows(t, `SELECT count(*) FROM scenario_versions v JOIN scenarios s ON s.id = v.scenario_id WHERE s.built_in AND s.deleted_at IS NULL`); n != len(bs) {
		t.Fatalf("%d versions of embedded built-ins after two starts, want one each (%d)", n, len(bs))
	}
	all, _ := listAll(t, b.connect, as(b.dealerA, orgv1.Role_ROLE_TRAINEE), 0)
	if len(all) != len(bs) {
		t.Fatalf("list shows %d scenarios, want %d", len(all), len(bs))
	}
	for _, sc := range all {
		if !sc.BuiltIn {
			t.Fatalf("%s is not built in", sc.Id)
		}
	}
}
