package scenario_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/scenario"
	"github.com/avatar-fi/avatar/core/internal/store"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// TestCreateGetUpdate: a new scenario starts at version 1 with the output-only fields
// the server sets; an update makes version 2 and version 1 stays readable.
func TestCreateGetUpdate(t *testing.T) {
	b := setup(t)
	for name, c := range b.protocols() {
		t.Run(name, func(t *testing.T) {
			in := titled(t, "  Our own scenario  ")
			// Output-only fields of the input are ignored.
			in.Id, in.DealershipId, in.BuiltIn, in.Version, in.CopiedFromId = b.builtInID, b.dealerB, true, 9, b.builtInID
			in.Objections, in.HiddenFacts = nil, nil
			created := mustCreate(t, c, admin(b.dealerA), in, "")
			if created.Id == "" || created.Id == b.builtInID || created.DealershipId != b.dealerA || created.BuiltIn ||
				created.Version != 1 || created.CopiedFromId != "" || created.CreateTime == nil || created.UpdateTime == nil {
				t.Fatalf("created: %v", created)
			}
			if created.Title != "Our own scenario" {
				t.Fatalf("title %q, want it trimmed", created.Title)
			}
			if len(created.Objections) != 2 || created.Objections[1] != in.ObjectionDetails[1].Lines[0] || len(created.HiddenFacts) != 1 {
				t.Fatalf("summaries not filled: %q %q", created.Objections, created.HiddenFacts)
			}
			got := mustGet(t, c, trainee(b.dealerA), created.Id, 0)
			if !proto.Equal(got, created) {
				t.Fatalf("get differs from create:\n%v\n%v", got, created)
			}

			edit := proto.CloneOf(got)
			edit.Goal = "A different goal."
			edit.Persona.Voice = "kal"
			v2, err := update(t, c, admin(b.dealerA), edit)
			if err != nil {
				t.Fatal(err)
			}
			if v2.Version != 2 || v2.Goal != edit.Goal || v2.Id != created.Id || !v2.CreateTime.AsTime().Equal(created.CreateTime.AsTime()) {
				t.Fatalf("updated: %v", v2)
			}
			if latest := mustGet(t, c, trainee(b.dealerA), created.Id, 0); !proto.Equal(latest, v2) {
				t.Fatalf("latest is not version 2: %v", latest)
			}
			if v1 := mustGet(t, c, trainee(b.dealerA), created.Id, 1); !proto.Equal(v1, created) {
				t.Fatalf("version 1 changed: %v", v1)
			}
			_, err = get(t, c, trainee(b.dealerA), created.Id, 3)
			wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
		})
	}
}

// TestBuiltInSharedReadOnly: every dealership, and edges naming one, read the built-in
// scenarios; nobody changes them.
func TestBuiltInSharedReadOnly(t *testing.T) {
	b := setup(t)
	for name, c := range b.protocols() {
		t.Run(name, func(t *testing.T) {
			readers := map[string]who{
				"trainee A":         trainee(b.dealerA),
				"admin B":           admin(b.dealerB),
				"edge naming A":     naming(b.dealerA, orgv1.Role_ROLE_EDGE_SERVICE),
				"super admin for B": naming(b.dealerB, orgv1.Role_ROLE_SUPER_ADMIN),
			}
			for name, w := range readers {
				all, _ := listAll(t, c, w, 0)
				if len(all) != 1 || all[0].Id != b.builtInID || !all[0].BuiltIn || all[0].DealershipId != "" {
					t.Fatalf("%s lists %v", name, all)
				}
				if got := mustGet(t, c, w, b.builtInID, 0); got.Title == "" || got.Version != 1 {
					t.Fatalf("%s gets %v", name, got)
				}
			}
			builtIn := mustGet(t, c, admin(b.dealerA), b.builtInID, 0)
			for name, w := range map[string]who{"admin A": admin(b.dealerA), "super admin for A": naming(b.dealerA, orgv1.Role_ROLE_SUPER_ADMIN)} {
				edit := proto.CloneOf(builtIn)
				edit.Title = "Mine now"
				_, err := update(t, c, w, edit)
				d := wantError(t, err, connect.CodePermissionDenied, "PERMISSION_DENIED")
				if !strings.Contains(err.Error(), "copy") {
					t.Fatalf("%s: the message %q should say to copy it (%v)", name, err, d)
				}
				wantError(t, del(t, c, w, b.builtInID), connect.CodePermissionDenied, "PERMISSION_DENIED")
			}
			if got := mustGet(t, c, trainee(b.dealerB), b.builtInID, 0); !proto.Equal(got, builtIn) {
				t.Fatalf("built-in changed: %v", got)
			}
		})
	}
}

// TestCallers: trainees and edges only read; a caller without a dealership names one;
// anonymous calls are refused.
func TestCallers(t *testing.T) {
	b := setup(t)
	own := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "Own"), "")
	tests := []struct {
		name   string
		w      who
		write  bool
		code   connect.Code
		reason string
	}{
		{name: "trainee reads", w: trainee(b.dealerA)},
		{name: "trainee writes", w: trainee(b.dealerA), write: true, code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "edge reads", w: naming(b.dealerA, orgv1.Role_ROLE_EDGE_SERVICE)},
		{name: "edge writes", w: naming(b.dealerA, orgv1.Role_ROLE_EDGE_SERVICE), write: true, code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "edge without dealership", w: naming("", orgv1.Role_ROLE_EDGE_SERVICE), code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "edge with a bad dealership", w: naming("not-a-uuid", orgv1.Role_ROLE_EDGE_SERVICE), code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "super admin writes", w: naming(b.dealerA, orgv1.Role_ROLE_SUPER_ADMIN), write: true},
		{name: "super admin without dealership", w: naming("", orgv1.Role_ROLE_SUPER_ADMIN), write: true, code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "admin of A naming B acts in A", w: func(h http.Header) { admin(b.dealerA)(h); h.Set("X-Avatar-Dealership-Id", b.dealerB) }},
		{name: "anonymous", w: anonymous, code: connect.CodeUnauthenticated, reason: "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.write {
				_, err = create(t, b.connect, tt.w, titled(t, "By "+tt.name), "")
			} else {
				_, err = get(t, b.connect, tt.w, own.Id, 0)
			}
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, tt.code, tt.reason)
		})
	}
	// The super admin's scenario landed in the dealership it named.
	if n := b.countRows(t, `SELECT count(*) FROM scenarios WHERE dealership_id = $1 AND title = 'By super admin writes'`, b.dealerA); n != 1 {
		t.Fatalf("super admin's scenario in A: %d", n)
	}
	// A super admin naming a dealership that does not exist creates nothing.
	_, err := create(t, b.connect, naming("00000000-0000-4000-8000-000000000000", orgv1.Role_ROLE_SUPER_ADMIN), titled(t, "Nowhere"), "")
	wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
	if n := b.countRows(t, `SELECT count(*) FROM scenarios WHERE title = 'Nowhere'`); n != 0 {
		t.Fatalf("%d rows for an unknown dealership", n)
	}
}

// TestCopy: copies of built-in and own scenarios take the source's content with the
// fields set in the request replacing it, and record their source.
func TestCopy(t *testing.T) {
	b := setup(t)
	for name, c := range b.protocols() {
		t.Run(name, func(t *testing.T) {
			src := mustGet(t, c, admin(b.dealerA), b.builtInID, 0)
			cp := mustCreate(t, c, admin(b.dealerA), &scenariov1.Scenario{
				Title:   "Our take",
				Persona: &scenariov1.Persona{Voice: "rms"},
				Deal:    &scenariov1.Deal{TermMonths: 60},
				// Output-only fields are ignored.
				BuiltIn: true, Version: 5, Id: b.builtInID,
			}, b.builtInID)
			if cp.Version != 1 || cp.BuiltIn || cp.DealershipId != b.dealerA || cp.CopiedFromId != b.builtInID || cp.Id == b.builtInID {
				t.Fatalf("copy: %v", cp)
			}
			if cp.Title != "Our take" || cp.Persona.Voice != "rms" || cp.Persona.Name != src.Persona.Name || cp.Persona.Background != src.Persona.Background {
				t.Fatalf("copy's persona %v, title %q: set fields replace, others are kept", cp.Persona, cp.Title)
			}
			if cp.Deal.TermMonths != 60 || cp.Deal.Vehicle != src.Deal.Vehicle || len(cp.Deal.Products) != len(src.Deal.Products) {
				t.Fatalf("copy's deal %v", cp.Deal)
			}
			kept := proto.CloneOf(cp)
			kept.Id, kept.DealershipId, kept.CopiedFromId, kept.CreateTime, kept.UpdateTime = src.Id, src.DealershipId, src.CopiedFromId, src.CreateTime, src.UpdateTime
			kept.BuiltIn, kept.Title, kept.Persona.Voice, kept.Deal.TermMonths = src.BuiltIn, src.Title, src.Persona.Voice, src.Deal.TermMonths
			if !proto.Equal(kept, src) {
				t.Fatalf("the copy changed more than the fields set:\n%v\n%v", kept, src)
			}

			// A list in the request replaces the source's list; the summaries follow it.
			one := &scenariov1.Objection{Id: "only", Lines: []string{"I just don't want extras."}, ResolvedBy: []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_DISCLOSURE}, Needed: 1, HandledLines: []string{"Fair enough."}}
			cp2 := mustCreate(t, c, admin(b.dealerA), &scenariov1.Scenario{ObjectionDetails: []*scenariov1.Objection{one}}, cp.Id)
			if cp2.CopiedFromId != cp.Id || cp2.Title != cp.Title || len(cp2.ObjectionDetails) != 1 || !slices.Equal(cp2.Objections, one.Lines) {
				t.Fatalf("copy of a copy: from %s, title %q, objections %q", cp2.CopiedFromId, cp2.Title, cp2.Objections)
			}

			// A copy with nothing set is the same content.
			same := mustCreate(t, c, admin(b.dealerB), nil, b.builtInID)
			if same.Title != src.Title || same.DealershipId != b.dealerB || !proto.Equal(same.Deal, src.Deal) {
				t.Fatalf("plain copy: %v", same)
			}

			// The copy must still be valid.
			_, err := create(t, c, admin(b.dealerA), &scenariov1.Scenario{Persona: &scenariov1.Persona{Voice: "robot"}}, b.builtInID)
			wantFields(t, err, "scenario.persona.voice")

			// Copying another dealership's scenario, a deleted one or an unknown one fails.
			_, err = create(t, c, admin(b.dealerB), nil, cp.Id)
			wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
			if err := del(t, c, admin(b.dealerA), cp2.Id); err != nil {
				t.Fatal(err)
			}
			_, err = create(t, c, admin(b.dealerA), nil, cp2.Id)
			wantError(t, err, connect.CodeNotFound, "NOT_FOUND")

			// The source did not change.
			if got := mustGet(t, c, trainee(b.dealerA), b.builtInID, 0); !proto.Equal(got, src) {
				t.Fatalf("copying changed the source: %v", got)
			}
		})
	}
}

// TestCopyEditKeepsVersions: copy a built-in, edit the copy to version 2; version 1 of
// the copy and the built-in stay as they were.
func TestCopyEditKeepsVersions(t *testing.T) {
	b := setup(t)
	cp := mustCreate(t, b.connect, admin(b.dealerA), nil, b.builtInID)
	edit := proto.CloneOf(cp)
	edit.Title = "Edited copy"
	edit.Openings = []string{"Good morning."}
	v2, err := update(t, b.connect, admin(b.dealerA), edit)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.CopiedFromId != b.builtInID || v2.Title != "Edited copy" {
		t.Fatalf("edited copy: %v", v2)
	}
	v1 := mustGet(t, b.grpc, trainee(b.dealerA), cp.Id, 1)
	if !proto.Equal(v1, cp) {
		t.Fatalf("version 1 of the copy changed: %v", v1)
	}
	if bi := mustGet(t, b.grpc, trainee(b.dealerA), b.builtInID, 0); bi.Version != 1 || bi.Title == "Edited copy" {
		t.Fatalf("the built-in changed: %v", bi)
	}
	if n := b.countRows(t, `SELECT count(*) FROM scenario_versions WHERE scenario_id = $1`, cp.Id); n != 2 {
		t.Fatalf("%d version rows, want 2", n)
	}
}

// TestTenantIsolation: dealership B neither sees nor changes A's scenarios, through the
// API and, underneath, through row-level security.
func TestTenantIsolation(t *testing.T) {
	b := setup(t)
	own := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "A's secret playbook"), "")
	for name, c := range b.protocols() {
		t.Run(name, func(t *testing.T) {
			for _, w := range []who{admin(b.dealerB), trainee(b.dealerB), naming(b.dealerB, orgv1.Role_ROLE_EDGE_SERVICE)} {
				_, err := get(t, c, w, own.Id, 0)
				wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
				_, err = get(t, c, w, own.Id, 1)
				wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
				all, _ := listAll(t, c, w, 0)
				if slices.Contains(ids(all), own.Id) {
					t.Fatal("B lists A's scenario")
				}
			}
			edit := proto.CloneOf(own)
			edit.Title = "Stolen"
			_, err := update(t, c, admin(b.dealerB), edit)
			wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
			wantError(t, del(t, c, admin(b.dealerB), own.Id), connect.CodeNotFound, "NOT_FOUND")
			_, err = create(t, c, admin(b.dealerB), nil, own.Id)
			wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
		})
	}
	if got := mustGet(t, b.connect, trainee(b.dealerA), own.Id, 0); !proto.Equal(got, own) {
		t.Fatalf("A's scenario changed: %v", got)
	}

	// Row-level security, as the tenant role of B.
	ctx := t.Context()
	inB := func(fn func(tx pgx.Tx) error) error { return store.InTenant(ctx, b.pool, b.dealerB, fn) }
	var seen, seenVersions, builtIns int
	if err := inB(func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM scenarios WHERE id = $1),
			(SELECT count(*) FROM scenario_versions WHERE scenario_id = $1),
			(SELECT count(*) FROM scenarios WHERE built_in)`, own.Id).Scan(&seen, &seenVersions, &builtIns)
	}); err != nil {
		t.Fatal(err)
	}
	if seen != 0 || seenVersions != 0 || builtIns != 1 {
		t.Fatalf("B sees %d of A's scenarios, %d of its versions and %d built-ins", seen, seenVersions, builtIns)
	}
	mustFail := func(name, code, sql string, args ...any) {
		t.Helper()
		err := inB(func(tx pgx.Tx) error { _, err := tx.Exec(ctx, sql, args...); return err })
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Fatalf("%s: got %v, want SQLSTATE %s", name, err, code)
		}
	}
	mustFail("insert into A", "42501", `INSERT INTO scenarios (dealership_id, title, latest_version) VALUES ($1, 'x', 1)`, b.dealerA)
	mustFail("insert a built-in", "42501", `INSERT INTO scenarios (dealership_id, built_in, slug, title, latest_version) VALUES (NULL, true, 'evil', 'x', 1)`)
	mustFail("insert a version of A's", "42501", `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body) VALUES ($1, 9, $2, '')`, own.Id, b.dealerA)
	mustFail("insert a built-in version", "42501", `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body) VALUES ($1, 9, NULL, '')`, b.builtInID)
	mustFail("delete rows", "42501", `DELETE FROM scenarios WHERE dealership_id = $1`, b.dealerB)
	mustFail("rewrite a version", "42501", `UPDATE scenario_versions SET body = '' WHERE dealership_id = $1`, b.dealerB)
	var touched int64
	if err := inB(func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE scenarios SET title = 'x' WHERE id = $1 OR built_in`, own.Id)
		touched = tag.RowsAffected()
		return err
	}); err != nil || touched != 0 {
		t.Fatalf("B updated %d rows of A's and built-in scenarios (%v)", touched, err)
	}
}

// TestUpdateConflict: an update must start from the latest version; of concurrent
// updates from the same version exactly one wins, the others get Aborted / CONFLICT.
func TestUpdateConflict(t *testing.T) {
	b := setup(t)
	own := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "Contested"), "")
	first := proto.CloneOf(own)
	first.Goal = "first"
	if _, err := update(t, b.connect, admin(b.dealerA), first); err != nil {
		t.Fatal(err)
	}
	stale := proto.CloneOf(own)
	stale.Goal = "stale"
	for name, c := range b.protocols() {
		t.Run(name, func(t *testing.T) {
			_, err := update(t, c, admin(b.dealerA), stale)
			wantError(t, err, connect.CodeAborted, "CONFLICT")
		})
	}
	ahead := proto.CloneOf(own)
	ahead.Version = 7
	_, err := update(t, b.connect, admin(b.dealerA), ahead)
	wantError(t, err, connect.CodeAborted, "CONFLICT")
	if got := mustGet(t, b.connect, admin(b.dealerA), own.Id, 0); got.Version != 2 || got.Goal != "first" {
		t.Fatalf("after conflicts: version %d goal %q", got.Version, got.Goal)
	}

	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			e := proto.CloneOf(own)
			e.Version = 2
			e.Goal = fmt.Sprintf("writer %d", i)
			_, errs[i] = b.svc.Update(context.WithoutCancel(t.Context()), b.dealerA, e)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, scenario.ErrConflict):
			t.Fatalf("a losing writer got %v, want the conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent updates from version 2 succeeded, want 1", won)
	}
	if n := b.countRows(t, `SELECT count(*) FROM scenario_versions WHERE scenario_id = $1`, own.Id); n != 3 {
		t.Fatalf("%d versions, want 3", n)
	}
}

// TestDelete: a deleted scenario leaves the list and Get without a version, keeps its
// versions by number, and cannot be changed or deleted again.
func TestDelete(t *testing.T) {
	b := setup(t)
	keep := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "Keep"), "")
	gone := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "Gone"), "")
	edit := proto.CloneOf(gone)
	edit.Goal = "second"
	v2, err := update(t, b.connect, admin(b.dealerA), edit)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, del(t, b.connect, trainee(b.dealerA), gone.Id), connect.CodePermissionDenied, "PERMISSION_DENIED")
	if err := del(t, b.grpc, admin(b.dealerA), gone.Id); err != nil {
		t.Fatal(err)
	}
	all, _ := listAll(t, b.connect, trainee(b.dealerA), 0)
	if got := ids(all); !slices.Equal(got, []string{b.builtInID, keep.Id}) {
		t.Fatalf("list after delete: %v", got)
	}
	_, err = get(t, b.connect, trainee(b.dealerA), gone.Id, 0)
	wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
	if got := mustGet(t, b.connect, trainee(b.dealerA), gone.Id, 1); !proto.Equal(got, gone) {
		t.Fatalf("version 1 of the deleted scenario: %v", got)
	}
	if got := mustGet(t, b.connect, naming(b.dealerA, orgv1.Role_ROLE_EDGE_SERVICE), gone.Id, 2); !proto.Equal(got, v2) {
		t.Fatalf("version 2 of the deleted scenario: %v", got)
	}
	edit.Version = 2
	_, err = update(t, b.connect, admin(b.dealerA), edit)
	wantError(t, err, connect.CodeNotFound, "NOT_FOUND")
	wantError(t, del(t, b.connect, admin(b.dealerA), gone.Id), connect.CodeNotFound, "NOT_FOUND")
	if n := b.countRows(t, `SELECT count(*) FROM scenario_versions WHERE scenario_id = $1`, gone.Id); n != 2 {
		t.Fatalf("%d versions kept, want 2", n)
	}
}

// TestListPages: the built-in scenarios come first, then the dealership's own by title
// (case-insensitively) and id; pages neither repeat nor skip, also when scenarios are
// renamed or deleted between pages.
func TestListPages(t *testing.T) {
	b := setup(t)
	titles := []string{"delta", "Alpha", "charlie", "bravo", "Echo", "alpha", "golf", "Foxtrot"}
	for _, title := range titles {
		mustCreate(t, b.connect, admin(b.dealerA), titled(t, title), "")
	}
	for _, title := range []string{"aardvark", "zulu"} {
		mustCreate(t, b.connect, admin(b.dealerB), titled(t, title), "")
	}
	full, pages := listAll(t, b.connect, trainee(b.dealerA), 0)
	if pages != 1 || len(full) != 1+len(titles) {
		t.Fatalf("one default page: %d scenarios in %d pages", len(full), pages)
	}
	if !full[0].BuiltIn {
		t.Fatal("the built-in scenario is not first")
	}
	own := full[1:]
	if !slices.IsSortedFunc(own, func(x, y *scenariov1.Scenario) int {
		if c := strings.Compare(strings.ToLower(x.Title), strings.ToLower(y.Title)); c != 0 {
			return c
		}
		return strings.Compare(x.Id, y.Id)
	}) {
		var got []string
		for _, s := range own {
			got = append(got, s.Title)
		}
		t.Fatalf("own scenarios not by title, id: %q", got)
	}
	for _, size := range []int32{1, 2, 3, 4, 9, 10, 200} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			got, pages := listAll(t, b.grpc, trainee(b.dealerA), size)
			if !slices.Equal(ids(got), ids(full)) {
				t.Fatalf("pages of %d: %v, want %v", size, ids(got), ids(full))
			}
			if want := (len(full) + int(size) - 1) / int(size); pages != want {
				t.Fatalf("%d pages of %d, want %d", pages, size, want)
			}
		})
	}

	// Between pages: the last scenario of page 1 is renamed to sort last, and the first
	// of page 2 is deleted. The rest still come once each, in order.
	p1, err := b.connect.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: 3}, trainee(b.dealerA)))
	if err != nil {
		t.Fatal(err)
	}
	last := p1.Msg.Scenarios[2]
	renamed := proto.CloneOf(last)
	renamed.Title = "zzz"
	if _, err := update(t, b.connect, admin(b.dealerA), renamed); err != nil {
		t.Fatal(err)
	}
	if err := del(t, b.connect, admin(b.dealerA), full[3].Id); err != nil {
		t.Fatal(err)
	}
	var rest []string
	token := p1.Msg.NextPageToken
	for token != "" {
		res, err := b.connect.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: 3, PageToken: token}, trainee(b.dealerA)))
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, ids(res.Msg.Scenarios)...)
		token = res.Msg.NextPageToken
	}
	want := append(ids(full[4:]), last.Id) // the renamed one now sorts last
	if !slices.Equal(rest, want) {
		t.Fatalf("pages after page 1: %v, want %v", rest, want)
	}
}

// TestListPageByteBudget: a page of large scenarios ends before 4 MiB.
func TestListPageByteBudget(t *testing.T) {
	b := setup(t)
	big := fixture(t)
	for _, o := range big.ObjectionDetails {
		o.Lines = repeat(strings.Repeat("x", 2000), 50)
	}
	big.Objections = nil
	big.ObjectionDetails[0].HandledLines = repeat(strings.Repeat("y", 2000), 19)
	if n := proto.Size(big); n < 230<<10 || n > 256<<10 {
		t.Fatalf("test scenario is %d bytes, want just under 256 KiB", n)
	}
	const n = 20
	for i := range n {
		sc := proto.CloneOf(big)
		sc.Title = fmt.Sprintf("big %02d", i)
		if _, err := b.svc.Create(t.Context(), b.dealerA, sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.connect.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: 200}, trainee(b.dealerA)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Msg.Scenarios); got >= n+1 || got < 10 || res.Msg.NextPageToken == "" {
		t.Fatalf("first page has %d scenarios (next %q), want it cut near 4 MiB", got, res.Msg.NextPageToken)
	}
	all, _ := listAll(t, b.connect, trainee(b.dealerA), 200)
	if len(all) != n+1 {
		t.Fatalf("%d scenarios over all pages, want %d", len(all), n+1)
	}
}

// TestRejectsBadRequests: every malformed request is InvalidArgument naming its fields,
// never Internal, and changes nothing.
func TestRejectsBadRequests(t *testing.T) {
	b := setup(t)
	own := mustCreate(t, b.connect, admin(b.dealerA), titled(t, "Own"), "")
	before := b.countRows(t, `SELECT count(*) FROM scenario_versions`)
	bad := titled(t, "")
	bad.ObjectionDetails[1].Cues = []string{""}
	bad.ObjectionDetails[1].ProductId = "nope"
	noVersion := proto.CloneOf(own)
	noVersion.Version = 0
	badID := proto.CloneOf(own)
	badID.Id = "12"
	invalidEdit := proto.CloneOf(own)
	invalidEdit.Disposition = &scenariov1.Disposition{WalkAt: 70}
	tests := []struct {
		name   string
		call   func(c scenariov1connect.ScenarioServiceClient) error
		fields []string
	}{
		{name: "create nothing", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := create(t, c, admin(b.dealerA), nil, "")
			return err
		}, fields: []string{"scenario"}},
		{name: "create invalid", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := create(t, c, admin(b.dealerA), bad, "")
			return err
		}, fields: []string{"scenario.title", "scenario.objectionDetails[1].cues[0]", "scenario.objectionDetails[1].productId"}},
		{name: "copy from a bad id", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := create(t, c, admin(b.dealerA), nil, "built-in")
			return err
		}, fields: []string{"copyFromId"}},
		{name: "get a bad id", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := get(t, c, admin(b.dealerA), "x'; DROP TABLE scenarios; --", 0)
			return err
		}, fields: []string{"id"}},
		{name: "get without id", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := get(t, c, admin(b.dealerA), "", 0)
			return err
		}, fields: []string{"id"}},
		{name: "get a negative version", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := get(t, c, admin(b.dealerA), own.Id, -1)
			return err
		}, fields: []string{"version"}},
		{name: "list a negative page size", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := c.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: -1}, admin(b.dealerA)))
			return err
		}, fields: []string{"pageSize"}},
		{name: "list 201 per page", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := c.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageSize: 201}, admin(b.dealerA)))
			return err
		}, fields: []string{"pageSize"}},
		{name: "list a forged token", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := c.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageToken: "bm90IGEgdG9rZW4"}, admin(b.dealerA)))
			return err
		}, fields: []string{"pageToken"}},
		{name: "list a huge token", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := c.ListScenarios(t.Context(), req(&scenariov1.ListScenariosRequest{PageToken: strings.Repeat("A", 5000)}, admin(b.dealerA)))
			return err
		}, fields: []string{"pageToken"}},
		{name: "update nothing", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := update(t, c, admin(b.dealerA), nil)
			return err
		}, fields: []string{"scenario"}},
		{name: "update without version", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := update(t, c, admin(b.dealerA), noVersion)
			return err
		}, fields: []string{"scenario.version"}},
		{name: "update a bad id", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := update(t, c, admin(b.dealerA), badID)
			return err
		}, fields: []string{"scenario.id"}},
		{name: "update to an invalid scenario", call: func(c scenariov1connect.ScenarioServiceClient) error {
			_, err := update(t, c, admin(b.dealerA), invalidEdit)
			return err
		}, fields: []string{"scenario.disposition.walkAt", "scenario.disposition.startWarmth"}},
		{name: "delete a bad id", call: func(c scenariov1connect.ScenarioServiceClient) error {
			return del(t, c, admin(b.dealerA), "42")
		}, fields: []string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, c := range b.protocols() {
				t.Run(name, func(t *testing.T) {
					wantFields(t, tt.call(c), tt.fields...)
				})
			}
		})
	}
	if after := b.countRows(t, `SELECT count(*) FROM scenario_versions`); after != before {
		t.Fatalf("bad requests wrote %d version rows", after-before)
	}
	if got := mustGet(t, b.connect, admin(b.dealerA), own.Id, 0); !proto.Equal(got, own) {
		t.Fatalf("bad requests changed the scenario: %v", got)
	}
}

// TestMalformedBody: a Connect JSON body that does not decode is a validation error
// naming the field, never Internal.
func TestMalformedBody(t *testing.T) {
	b := setup(t)
	tests := []struct {
		name, body string
	}{
		{name: "wrong type", body: `{"scenario": {"title": 5}}`},
		{name: "unknown enum", body: `{"scenario": {"rubric": [{"technique": "TECHNIQUE_CHARM"}]}}`},
		{name: "not JSON", body: `{"scenario": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+scenariov1connect.ScenarioServiceCreateScenarioProcedure, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			admin(b.dealerA)(r.Header)
			res, err := b.http.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), `"invalid_argument"`) {
				t.Fatalf("status %d, body %s", res.StatusCode, raw)
			}
		})
	}
}
