package region_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/region"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	regionv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1"
)

// TestPickMostHeadroom: three edges of one region heartbeat over NATS; PickEdge, over
// Connect and gRPC through the auth interceptor, answers the one with the most headroom
// (free slots times idle CPU), and counts the call placed on it.
func TestPickMostHeadroom(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r := b.replica(t)
	edges := []fakeEdge{
		{id: "east-1", region: "us-east", active: 8, capacity: 10, cpu: 0.1},   // 2 free x 0.9 = 1.8
		{id: "east-2", region: "us-east", active: 20, capacity: 40, cpu: 0.2},  // 20 free x 0.8 = 16
		{id: "east-3", region: "us-east", active: 10, capacity: 100, cpu: 0.8}, // 90 free x 0.2 = 18
	}
	b.beatUntilSeen(t, []*replica{r}, edges...)
	trainee := b.token(t, orgv1.Role_ROLE_TRAINEE)
	placed := 0
	for _, p := range r.clients() {
		t.Run(p.name, func(t *testing.T) {
			res, err := p.c.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "us-east"}, trainee))
			if err != nil {
				t.Fatalf("PickEdge: %v", err)
			}
			placed++
			e := res.Msg.GetEdge()
			if e.GetId() != "east-3" || e.GetRegion() != "us-east" || e.GetUrl() != "https://east-3.edge.test" {
				t.Fatalf("picked %v, want east-3 (the most headroom)", e)
			}
			if e.GetState() != regionv1.EdgeState_EDGE_STATE_READY || !e.GetHealthy() || e.GetPlacedCalls() != int32(placed) ||
				e.GetActiveCalls() != 10 || e.GetCapacity() != 100 || e.GetLoad() != 0.1 || e.GetVersion() != "v-test" {
				t.Fatalf("picked edge described as %v", e)
			}
		})
	}
}

// TestPickSkipsEdgesThatTakeNoCall: the edge with the most headroom but draining, full,
// over the CPU limit or with no capacity is passed over for the next one. Each case has
// a region of its own in one fleet.
func TestPickSkipsEdgesThatTakeNoCall(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute, MaxCPU: 0.85})
	r := b.replica(t)
	tests := []struct {
		name      string
		skipped   fakeEdge
		wantState region.State
	}{
		{name: "draining", skipped: fakeEdge{capacity: 100, draining: true}, wantState: region.StateDraining},
		{name: "full", skipped: fakeEdge{active: 100, capacity: 100}, wantState: region.StateFull},
		{name: "over capacity", skipped: fakeEdge{active: 120, capacity: 100}, wantState: region.StateFull},
		{name: "cpu above the limit", skipped: fakeEdge{capacity: 100, cpu: 0.9}, wantState: region.StateFull},
		{name: "no capacity", skipped: fakeEdge{capacity: 0}, wantState: region.StateFull},
	}
	var all []fakeEdge
	regions := map[string]string{}
	for i, tt := range tests {
		reg := "r" + string(rune('a'+i))
		regions[tt.name] = reg
		skipped := tt.skipped
		skipped.id, skipped.region = reg+"-skipped", reg
		all = append(all, skipped, fakeEdge{id: reg + "-next", region: reg, active: 9, capacity: 10, cpu: 0.5})
	}
	b.beatUntilSeen(t, []*replica{r}, all...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := regions[tt.name]
			list, err := r.svc.List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if e, _ := find(list, reg+"-skipped"); e.State != tt.wantState {
				t.Fatalf("skipped edge is %s, want %s: %s", e.State, tt.wantState, describe(list))
			}
			e, err := r.svc.Pick(t.Context(), reg, "")
			if err != nil {
				t.Fatalf("Pick: %v", err)
			}
			if e.ID != reg+"-next" {
				t.Fatalf("picked %s, want %s-next", e.ID, reg)
			}
			// Its one free slot is now placed.
			if e.State != region.StateFull || e.PlacedCalls != 1 {
				t.Fatalf("after the pick: %s with %d placed, want full with 1", e.State, e.PlacedCalls)
			}
		})
	}
}

// TestStaleEdgeDropsOut: an edge that stops heartbeating takes no new call once the
// timeout has passed since the core recorded its last heartbeat (and not before), and
// takes calls again with its next heartbeat.
func TestStaleEdgeDropsOut(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	b := setup(t, region.Config{HeartbeatTimeout: timeout})
	r := b.replica(t)
	silent := fakeEdge{id: "silent", region: "eu-central", capacity: 100}
	alive := fakeEdge{id: "alive", region: "eu-central", active: 5, capacity: 10}
	b.beatUntilSeen(t, []*replica{r}, silent, alive)
	if e, err := r.svc.Pick(t.Context(), "eu-central", ""); err != nil || e.ID != "silent" {
		t.Fatalf("Pick = %v, %v: want silent (the most headroom) while it heartbeats", e.ID, err)
	}
	silentEdge := func() region.Edge {
		t.Helper()
		list, err := r.svc.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		e, ok := find(list, "silent")
		if !ok {
			t.Fatalf("silent edge not listed: %s", describe(list))
		}
		return e
	}
	// Redis runs on this machine: its clock is the test's.
	lastSeen := silentEdge().LastSeen

	// alive keeps heartbeating; silent does not.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				b.beat(t, alive, now)
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	time.Sleep(time.Until(lastSeen.Add(timeout / 2)))
	if e := silentEdge(); time.Now().Before(lastSeen.Add(timeout-100*time.Millisecond)) && e.State != region.StateReady {
		t.Fatalf("silent edge %s at age %s, before the %s timeout", e.State, e.Age, timeout)
	}
	time.Sleep(time.Until(lastSeen.Add(timeout + 100*time.Millisecond)))
	if e := silentEdge(); e.State != region.StateStale || e.Age <= timeout {
		t.Fatalf("silent edge %s at age %s, after the %s timeout", e.State, e.Age, timeout)
	}
	e, err := r.svc.Pick(t.Context(), "eu-central", "")
	if err != nil || e.ID != "alive" {
		t.Fatalf("Pick = %v, %v: want alive once silent is stale", e.ID, err)
	}
	res, err := r.connect.ListEdges(t.Context(), req(&regionv1.ListEdgesRequest{}, b.token(t, orgv1.Role_ROLE_SUPER_ADMIN)))
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, pe := range res.Msg.GetEdges() {
		if pe.GetId() == "silent" {
			listed = true
			if pe.GetHealthy() || pe.GetState() != regionv1.EdgeState_EDGE_STATE_STALE {
				t.Fatalf("ListEdges shows the silent edge as %v", pe)
			}
		}
	}
	if !listed {
		t.Fatal("ListEdges does not list the silent edge")
	}

	b.beatUntilSeen(t, []*replica{r}, silent)
	if e, err := r.svc.Pick(t.Context(), "eu-central", ""); err != nil || e.ID != "silent" {
		t.Fatalf("Pick = %v, %v: want silent again after its heartbeat", e.ID, err)
	}
}

// TestSilentEdgeIsForgotten: an edge unheard for ForgetAfter leaves the list.
func TestSilentEdgeIsForgotten(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: 300 * time.Millisecond, ForgetAfter: time.Second})
	r := b.replica(t)
	b.beatUntilSeen(t, []*replica{r}, fakeEdge{id: "gone", region: "local", capacity: 4})
	eventually(t, "silent edge forgotten", func() bool {
		list, err := r.svc.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := find(list, "gone"); ok && e.Age > time.Second {
			t.Fatalf("edge listed at age %s, past ForgetAfter", e.Age)
		}
		return len(list) == 0
	})
	if _, err := r.svc.Pick(t.Context(), "local", ""); !errors.Is(err, region.ErrNoEdge) {
		t.Fatalf("Pick with no edge: %v, want ErrNoEdge", err)
	}
	if n, err := b.rdb.Exists(t.Context(), b.prefix+"fleet:edges", b.prefix+"fleet:sent", b.prefix+"fleet:slots", b.prefix+"fleet:placed", b.prefix+"fleet:seen").Result(); err != nil || n != 0 {
		t.Fatalf("%d fleet keys left (%v), want none", n, err)
	}
}

// TestFallbackByRegionOrder: a caller whose region has no edge that takes calls gets the
// nearest region by the configured order, even when a farther one has more headroom;
// an unlisted region, and the regions a route leaves out, come last, by headroom.
func TestFallbackByRegionOrder(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute, Order: []region.Route{
		{Region: "us-east", Next: []string{"us-west", "eu-central"}},
		{Region: "us-west", Next: []string{"us-east", "eu-central"}},
		{Region: "eu-central", Next: []string{"us-east"}},
	}})
	r := b.replica(t)
	west := fakeEdge{id: "west", region: "us-west", active: 90, capacity: 100}
	eu := fakeEdge{id: "eu", region: "eu-central", capacity: 100}
	ap := fakeEdge{id: "ap", region: "ap-south", capacity: 1000}
	b.beatUntilSeen(t, []*replica{r}, west, eu, ap)
	tests := []struct {
		name, region, want string
	}{
		{name: "next region by the order", region: "us-east", want: "west"},
		{name: "home region for a caller naming none", region: "", want: "west"},
		{name: "own region first", region: "eu-central", want: "eu"},
		{name: "case folded", region: "EU-Central", want: "eu"},
		{name: "unlisted region: most headroom anywhere", region: "sa-east", want: "ap"},
		{name: "own region of an unlisted region", region: "ap-south", want: "ap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := r.svc.Pick(t.Context(), tt.region, "")
			if err != nil || e.ID != tt.want {
				t.Fatalf("Pick(%q) = %v, %v; want %s", tt.region, e.ID, err, tt.want)
			}
		})
	}

	// With us-west draining, us-east goes on to eu-central, its route's next.
	west.draining = true
	b.beatUntilSeen(t, []*replica{r}, west)
	if e, err := r.svc.Pick(t.Context(), "us-east", ""); err != nil || e.ID != "eu" {
		t.Fatalf("Pick(us-east) with us-west draining = %v, %v; want eu", e.ID, err)
	}
	// eu-central's route stops at us-east (no edge): the rest by headroom gives ap.
	eu.active, eu.capacity = 10, 10
	b.beatUntilSeen(t, []*replica{r}, eu)
	if e, err := r.svc.Pick(t.Context(), "eu-central", ""); err != nil || e.ID != "ap" {
		t.Fatalf("Pick(eu-central) with eu-central full = %v, %v; want ap", e.ID, err)
	}
}

// TestHintPrefersNamedEdge: a hint naming an edge that takes calls wins, wherever it is;
// one naming an edge that does not is ignored.
func TestHintPrefersNamedEdge(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r := b.replica(t)
	b.beatUntilSeen(t, []*replica{r},
		fakeEdge{id: "best", region: "us-east", capacity: 100},
		fakeEdge{id: "previous", region: "us-west", active: 5, capacity: 10},
		fakeEdge{id: "draining", region: "us-east", capacity: 100, draining: true},
	)
	tests := []struct{ name, hint, want string }{
		{name: "edge that takes calls", hint: "previous", want: "previous"},
		{name: "draining edge", hint: "draining", want: "best"},
		{name: "unknown edge", hint: "nobody", want: "best"},
		{name: "time zone", hint: "America/New_York", want: "best"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := r.svc.Pick(t.Context(), "us-east", tt.hint)
			if err != nil || e.ID != tt.want {
				t.Fatalf("Pick(hint %q) = %v, %v; want %s", tt.hint, e.ID, err, tt.want)
			}
		})
	}
}

// TestNoEdgeIsUnavailable: with no edge at all, or none that takes calls, PickEdge
// answers Unavailable / UNAVAILABLE over both protocols, never a 500.
func TestNoEdgeIsUnavailable(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r := b.replica(t)
	trainee := b.token(t, orgv1.Role_ROLE_TRAINEE)
	check := func(t *testing.T) {
		t.Helper()
		if _, err := r.svc.Pick(t.Context(), "us-east", ""); !errors.Is(err, region.ErrNoEdge) {
			t.Fatalf("Pick: %v, want ErrNoEdge", err)
		}
		for _, p := range r.clients() {
			t.Run(p.name, func(t *testing.T) {
				_, err := p.c.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "us-east"}, trainee))
				wantError(t, err, connect.CodeUnavailable, "UNAVAILABLE")
			})
		}
	}
	t.Run("empty fleet", check)
	b.beatUntilSeen(t, []*replica{r},
		fakeEdge{id: "draining", region: "us-east", capacity: 10, draining: true},
		fakeEdge{id: "full", region: "eu-central", active: 10, capacity: 10},
	)
	t.Run("no edge takes calls", check)
}

// TestReplicasAgree: two replicas (two Services, each on its own NATS connection in the
// queue group) over one Redis see the same fleet, whichever received each heartbeat,
// and share their placements.
func TestReplicasAgree(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r1, r2 := b.replica(t), b.replica(t)
	b.beatUntilSeen(t, []*replica{r1, r2},
		fakeEdge{id: "e1", region: "us-west", active: 1, capacity: 10, cpu: 0.3},
		fakeEdge{id: "e2", region: "us-west", active: 1, capacity: 10, cpu: 0.2},
		fakeEdge{id: "e3", region: "us-west", capacity: 4},
	)
	admin := b.token(t, orgv1.Role_ROLE_SUPER_ADMIN)
	l1, err := r1.connect.ListEdges(t.Context(), req(&regionv1.ListEdgesRequest{}, admin))
	if err != nil {
		t.Fatal(err)
	}
	l2, err := r2.grpc.ListEdges(t.Context(), req(&regionv1.ListEdgesRequest{}, admin))
	if err != nil {
		t.Fatal(err)
	}
	if len(l1.Msg.GetEdges()) != 3 || len(l2.Msg.GetEdges()) != 3 {
		t.Fatalf("lists of %d and %d edges, want 3", len(l1.Msg.GetEdges()), len(l2.Msg.GetEdges()))
	}
	for i := range 3 {
		a, c := l1.Msg.GetEdges()[i], l2.Msg.GetEdges()[i]
		if a.GetId() != c.GetId() || a.GetState() != c.GetState() || !a.GetLastHeartbeatTime().AsTime().Equal(c.GetLastHeartbeatTime().AsTime()) {
			t.Fatalf("replicas list %v and %v", a, c)
		}
	}

	// e2: 9 free x 0.8 = 7.2 beats e1's 9 x 0.7 = 6.3 and e3's 4. Placing one call on
	// it (7.2 -> 6.4) leaves it first, so both replicas name it, and the second sees the
	// first's placement.
	trainee := b.token(t, orgv1.Role_ROLE_TRAINEE)
	p1, err := r1.connect.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "us-west"}, trainee))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := r2.grpc.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "us-west"}, trainee))
	if err != nil {
		t.Fatal(err)
	}
	if p1.Msg.GetEdge().GetId() != "e2" || p2.Msg.GetEdge().GetId() != "e2" {
		t.Fatalf("replicas picked %s and %s, want e2 from both", p1.Msg.GetEdge().GetId(), p2.Msg.GetEdge().GetId())
	}
	if p1.Msg.GetEdge().GetPlacedCalls() != 1 || p2.Msg.GetEdge().GetPlacedCalls() != 2 {
		t.Fatalf("placed calls %d then %d, want 1 then 2", p1.Msg.GetEdge().GetPlacedCalls(), p2.Msg.GetEdge().GetPlacedCalls())
	}
	// The third pick goes to e1 (9 x 0.7 = 6.3 against e2's 7 x 0.8 = 5.6), on either.
	p3, err := r1.grpc.PickEdge(t.Context(), req(&regionv1.PickEdgeRequest{Region: "us-west"}, trainee))
	if err != nil || p3.Msg.GetEdge().GetId() != "e1" {
		t.Fatalf("third pick %v, %v: want e1", p3.Msg.GetEdge().GetId(), err)
	}
}

// TestBurstNeverOverfills: concurrent picks between two heartbeats place no more calls
// on an edge than its free slots; the edge's next heartbeat gives the real count.
func TestBurstNeverOverfills(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r1, r2 := b.replica(t), b.replica(t)
	x := fakeEdge{id: "x", region: "local", active: 1, capacity: 4}
	y := fakeEdge{id: "y", region: "local", capacity: 2}
	b.beatUntilSeen(t, []*replica{r1, r2}, x, y)

	const callers = 12
	var (
		mu     sync.Mutex
		placed = map[string]int{}
		none   int
		wg     sync.WaitGroup
	)
	for i := range callers {
		svc := r1.svc
		if i%2 == 1 {
			svc = r2.svc
		}
		wg.Go(func() {
			e, err := svc.Pick(t.Context(), "local", "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, region.ErrNoEdge):
				none++
			case err != nil:
				t.Errorf("Pick: %v", err)
			default:
				placed[e.ID]++
			}
		})
	}
	wg.Wait()
	if placed["x"] != 3 || placed["y"] != 2 || none != callers-5 {
		t.Fatalf("placed %v and %d refused, want x 3, y 2 and %d refused", placed, none, callers-5)
	}

	// x reports two of its placed calls connected and one not (yet): 2 of 4 active.
	x.active = 2
	b.beatUntilSeen(t, []*replica{r1, r2}, x)
	for range 2 {
		if e, err := r2.svc.Pick(t.Context(), "local", ""); err != nil || e.ID != "x" {
			t.Fatalf("Pick after x's heartbeat = %v, %v; want x", e.ID, err)
		}
	}
	if _, err := r1.svc.Pick(t.Context(), "local", ""); !errors.Is(err, region.ErrNoEdge) {
		t.Fatalf("Pick with every slot placed: %v, want ErrNoEdge", err)
	}
}
