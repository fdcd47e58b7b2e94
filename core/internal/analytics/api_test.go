package analytics_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// play publishes a whole session of u (start, the turns made by add, the end with c)
// and waits until it is recorded.
func (b *bundle) play(t *testing.T, u user, mode conversationv1.Mode, start time.Time, add func(s *session) []*analyticsv1.Turn, c *scenariov1.Scorecard) *session {
	t.Helper()
	s := newSession(u, mode, start)
	b.edge.start(s)
	turns := add(s)
	for _, tr := range turns {
		b.edge.turn(s, tr)
	}
	b.edge.end(s, c, "ended")
	waitTurns(t, b.pool, s.id, len(turns))
	waitEnded(t, b.pool, s.id, "ended")
	return s
}

func oneTurn(s *session) []*analyticsv1.Turn {
	return []*analyticsv1.Turn{s.text("Hello, congratulations on the car.", "Thank you.")}
}

func sessionIDs(ss []*analyticsv1.Session) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Id)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestAccess exercises every RPC over Connect and gRPC as a trainee, an admin, an admin
// of another dealership (NotFound) and a super admin naming a dealership.
func TestAccess(t *testing.T) {
	b := setup(t)
	b.run(t)
	start := time.Now().Add(-time.Hour)
	sA := b.play(t, b.traineeA, conversationv1.Mode_MODE_TRAINING, start, oneTurn, nil)
	sA2 := b.play(t, b.otherA, conversationv1.Mode_MODE_TRAINING, start.Add(time.Minute), oneTurn, nil)
	sB := b.play(t, b.traineeB, conversationv1.Mode_MODE_TRAINING, start.Add(2*time.Minute), oneTurn, nil)
	anonymous := user{}

	type call func(c analyticsv1connect.AnalyticsServiceClient) (any, error)
	list := func(u user, userID string, d ...string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.ListSessions(t.Context(), as(u, &analyticsv1.ListSessionsRequest{UserId: userID}, d...))
			if err != nil {
				return nil, err
			}
			return sessionIDs(r.Msg.Sessions), nil
		}
	}
	get := func(u user, id string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.GetSession(t.Context(), as(u, &analyticsv1.GetSessionRequest{Id: id}))
			if err != nil {
				return nil, err
			}
			return r.Msg.Session.Id, nil
		}
	}
	userStats := func(u user, userID string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.GetUserAnalytics(t.Context(), as(u, &analyticsv1.GetUserAnalyticsRequest{UserId: userID}))
			if err != nil {
				return nil, err
			}
			return fmt.Sprintf("%s:%d", r.Msg.UserId, r.Msg.SessionCount), nil
		}
	}
	dealerStats := func(u user, dealership string, header ...string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.GetDealershipAnalytics(t.Context(), as(u, &analyticsv1.GetDealershipAnalyticsRequest{DealershipId: dealership}, header...))
			if err != nil {
				return nil, err
			}
			return fmt.Sprintf("%s:%d:%d", r.Msg.DealershipId, r.Msg.SessionCount, r.Msg.ActiveTrainees), nil
		}
	}
	latency := func(u user) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.GetRegionLatency(t.Context(), as(u, &analyticsv1.GetRegionLatencyRequest{}))
			if err != nil {
				return nil, err
			}
			return len(r.Msg.Regions), nil
		}
	}
	del := func(u user, userID string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.DeleteUserSessions(t.Context(), as(u, &analyticsv1.DeleteUserSessionsRequest{UserId: userID}))
			if err != nil {
				return nil, err
			}
			return r.Msg.DeletedSessions, nil
		}
	}
	setRetention := func(u user, days int32) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.SetRetention(t.Context(), as(u, &analyticsv1.SetRetentionRequest{RetentionDays: days}))
			if err != nil {
				return nil, err
			}
			return r.Msg.RetentionDays, nil
		}
	}
	getRetention := func(u user, header ...string) call {
		return func(c analyticsv1connect.AnalyticsServiceClient) (any, error) {
			r, err := c.GetRetention(t.Context(), as(u, &analyticsv1.GetRetentionRequest{}, header...))
			if err != nil {
				return nil, err
			}
			return r.Msg.RetentionDays, nil
		}
	}
	tests := []struct {
		name   string
		call   call
		want   any
		code   connect.Code
		reason string
	}{
		{name: "trainee lists own", call: list(b.traineeA, ""), want: []string{sA.id}},
		{name: "trainee names self", call: list(b.traineeA, b.traineeA.id), want: []string{sA.id}},
		{name: "trainee lists another's", call: list(b.traineeA, b.otherA.id), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "trainee gets own", call: get(b.traineeA, sA.id), want: sA.id},
		{name: "trainee gets colleague's", call: get(b.traineeA, sA2.id), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "trainee gets other dealership's", call: get(b.traineeA, sB.id), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "trainee own analytics", call: userStats(b.traineeA, ""), want: b.traineeA.id + ":1"},
		{name: "trainee colleague's analytics", call: userStats(b.traineeA, b.otherA.id), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "trainee dealership analytics", call: dealerStats(b.traineeA, ""), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "trainee region latency", call: latency(b.traineeA), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "trainee deletes", call: del(b.traineeA, b.traineeA.id), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "trainee sets retention", call: setRetention(b.traineeA, 30), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "admin lists dealership", call: list(b.adminA, ""), want: sorted(sA.id, sA2.id)},
		{name: "admin lists one user", call: list(b.adminA, b.otherA.id), want: []string{sA2.id}},
		{name: "admin gets trainee's", call: get(b.adminA, sA2.id), want: sA2.id},
		{name: "admin user analytics", call: userStats(b.adminA, b.traineeA.id), want: b.traineeA.id + ":1"},
		{name: "admin dealership analytics", call: dealerStats(b.adminA, ""), want: b.dealerA + ":2:2"},
		{name: "admin region latency", call: latency(b.adminA), code: connect.CodePermissionDenied, reason: "PERMISSION_DENIED"},
		{name: "admin retention", call: getRetention(b.adminA), want: int32(365)},
		{name: "admin bad retention", call: setRetention(b.adminA, 0), code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "other admin gets A's session", call: get(b.adminB, sA.id), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "other admin lists A's user", call: list(b.adminB, b.traineeA.id), want: []string{}},
		{name: "other admin A's user analytics", call: userStats(b.adminB, b.traineeA.id), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "other admin A's dealership", call: dealerStats(b.adminB, b.dealerA), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "other admin deletes A's user", call: del(b.adminB, b.traineeA.id), code: connect.CodeNotFound, reason: "NOT_FOUND"},
		{name: "super admin names B", call: list(b.root, "", b.dealerB), want: []string{sB.id}},
		{name: "super admin dealership in field", call: dealerStats(b.root, b.dealerA), want: b.dealerA + ":2:2"},
		{name: "super admin names no dealership", call: dealerStats(b.root, ""), code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "super admin region latency", call: latency(b.root), want: 1},
		{name: "super admin retention of B", call: getRetention(b.root, b.dealerB), want: int32(365)},
		{name: "anonymous", call: list(anonymous, ""), code: connect.CodeUnauthenticated, reason: "UNAUTHENTICATED"},
		{name: "bad session id", call: get(b.adminA, "no spaces please"), code: connect.CodeInvalidArgument, reason: "VALIDATION_ERROR"},
		{name: "unknown session", call: get(b.adminA, apitest.RandHex(16)), code: connect.CodeNotFound, reason: "NOT_FOUND"},
	}
	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := tt.call(c)
					if tt.code != 0 {
						wantCode(t, err, tt.code, tt.reason)
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(got) != fmt.Sprint(tt.want) {
						t.Fatalf("got %v, want %v", got, tt.want)
					}
				})
			}
		})
	}
}

// TestListSessionsPages follows the pages of ListSessions: newest first, each session
// once.
func TestListSessionsPages(t *testing.T) {
	b := setup(t)
	b.run(t)
	start := time.Now().Add(-time.Hour)
	var want []string
	for i := range 7 {
		s := newSession(b.traineeA, conversationv1.Mode_MODE_TRAINING, start.Add(time.Duration(i)*time.Minute))
		b.edge.start(s)
		want = append([]string{s.id}, want...)
	}
	eventually(t, "7 sessions", func() error {
		if n := count(t, b.pool, `SELECT count(*) FROM analytics_sessions`); n != 7 {
			return fmt.Errorf("%d", n)
		}
		return nil
	})
	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			var got []string
			token := ""
			for pages := 1; ; pages++ {
				r, err := c.ListSessions(t.Context(), as(b.traineeA, &analyticsv1.ListSessionsRequest{PageSize: 3, PageToken: token}))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range r.Msg.Sessions {
					got = append(got, s.Id)
				}
				if token = r.Msg.NextPageToken; token == "" {
					if pages != 3 {
						t.Fatalf("%d pages, want 3", pages)
					}
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("sessions %v, want newest first %v", got, want)
			}
			_, err := c.ListSessions(t.Context(), as(b.traineeA, &analyticsv1.ListSessionsRequest{PageToken: "nonsense"}))
			wantCode(t, err, connect.CodeInvalidArgument, "VALIDATION_ERROR")
		})
	}
}

// TestGetSession: the transcript with both sides' text, techniques, stage latencies,
// barge-ins and the call id, the scorecard, and the conversation measures.
func TestGetSession(t *testing.T) {
	b := setup(t)
	b.run(t)
	var turns []*analyticsv1.Turn
	c := card(68, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_RAPPORT}, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_DISCLOSURE})
	s := b.play(t, b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour), func(s *session) []*analyticsv1.Turn {
		turns = []*analyticsv1.Turn{
			s.opening("Hi, I just want to sign and go."),
			s.voice("Um congratulations on the new truck, you know, it's a great one", "Thanks, I love it.", false, 4000,
				map[string]float64{callevent.StageEndpoint: 180, callevent.StageSTTFinal: 20, callevent.StageFirstText: 15, callevent.StageFirstAudio: 35, callevent.StageFirstPacket: 2, callevent.StageTurnGap: 252}),
			s.voice("Do you know what kind of coverage you want", "Not really.", true, 2000,
				map[string]float64{callevent.StageEndpoint: 200, callevent.StageTurnGap: 300}),
			s.text("Uh let me show you the whole menu", "Okay."),
		}
		turns[1].Techniques = []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_RAPPORT}
		return turns
	}, c)
	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			cl := p.c
			r, err := cl.GetSession(t.Context(), as(b.traineeA, &analyticsv1.GetSessionRequest{Id: s.id}))
			if err != nil {
				t.Fatal(err)
			}
			got := r.Msg
			if len(got.Turns) != len(turns) {
				t.Fatalf("%d turns, want %d", len(got.Turns), len(turns))
			}
			for i := range turns {
				if !proto.Equal(got.Turns[i], turns[i]) {
					t.Fatalf("turn %d:\n got %v\nwant %v", i, got.Turns[i], turns[i])
				}
			}
			if !proto.Equal(got.Scorecard, c) {
				t.Fatalf("scorecard %v, want %v", got.Scorecard, c)
			}
			if got.Session.OverallScore == nil || *got.Session.OverallScore != 68 || got.Session.Outcome != scenariov1.Outcome_OUTCOME_BOUGHT ||
				got.Session.EndReason != "ended" || got.Session.TurnCount != 3 || got.Session.UserId != b.traineeA.id {
				t.Fatalf("session %v", got.Session)
			}
			m := got.Measures
			// Trainee: 12 + 9 + 8 words; other side: 8 + 4 + 2 + 1.
			if m.TraineeWords != 29 || m.OtherWords != 15 || math.Abs(m.TalkRatio-29.0/44) > 1e-9 {
				t.Fatalf("words %d/%d ratio %v", m.TraineeWords, m.OtherWords, m.TalkRatio)
			}
			if math.Abs(m.WordsPerMinute-21.0/6*60) > 1e-9 { // 21 words in 6 s of voice
				t.Fatalf("words per minute %v", m.WordsPerMinute)
			}
			// "Do you know" and "what kind of" are questions, not fillers.
			if m.FillerWords != 3 || m.Interruptions != 1 || m.LongestMonologueWords != 12 || m.LongestMonologueTurn != 1 || m.LongestMonologueSeconds != 4 {
				t.Fatalf("measures %v", m)
			}
			if m.TurnGapCount != 2 || m.TurnGapMeanMs != 276 || m.TurnGapP50Ms != 276 || m.TurnGapMaxMs != 300 {
				t.Fatalf("turn gaps %v", m)
			}
		})
	}
}

// TestAnalytics: a user's progress (average, trend, missed techniques) and a
// dealership's (active trainees, weakest techniques, the questions trainees ask the
// coach most and those it could not answer).
func TestAnalytics(t *testing.T) {
	b := setup(t)
	b.run(t)
	base := time.Now().Add(-48 * time.Hour)
	disclosure, ask, rapport := scenariov1.Technique_TECHNIQUE_DISCLOSURE, scenariov1.Technique_TECHNIQUE_ASK_FOR_BUSINESS, scenariov1.Technique_TECHNIQUE_RAPPORT
	for i, sc := range []*scenariov1.Scorecard{
		card(50, []scenariov1.Technique{rapport}, []scenariov1.Technique{disclosure, ask}),
		card(60, []scenariov1.Technique{rapport, ask}, []scenariov1.Technique{disclosure}),
		card(80, []scenariov1.Technique{rapport, ask}, []scenariov1.Technique{disclosure}),
	} {
		b.play(t, b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, base.Add(time.Duration(i)*time.Hour), oneTurn, sc)
	}
	asked := func(lines ...string) func(s *session) []*analyticsv1.Turn {
		return func(s *session) []*analyticsv1.Turn {
			var out []*analyticsv1.Turn
			for _, l := range lines {
				tr := s.text(l, "From the guide: …")
				tr.Unanswered = l == "Is tire and wheel worth it?" || l == "is TIRE and wheel, worth it"
				if !tr.Unanswered {
					tr.Citations = []*conversationv1.Citation{{DocumentId: "d1", ChunkId: "c1", Title: "F&I guide"}}
				}
				out = append(out, tr)
			}
			return out
		}
	}
	b.play(t, b.otherA, conversationv1.Mode_MODE_TRAINING, base.Add(5*time.Hour), asked("What does GAP cover?", "Is tire and wheel worth it?"), nil)
	b.play(t, b.otherA, conversationv1.Mode_MODE_TRAINING, base.Add(6*time.Hour), asked("what does gap cover", "  What does GAP  cover?! ", "is TIRE and wheel, worth it"), nil)
	b.play(t, b.traineeB, conversationv1.Mode_MODE_TRAINING, base, asked("What does GAP cover?"), nil)

	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			r, err := c.GetUserAnalytics(t.Context(), as(b.traineeA, &analyticsv1.GetUserAnalyticsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			u := r.Msg
			if u.SessionCount != 3 || u.GradedSessionCount != 3 || math.Abs(u.AverageScore-190.0/3) > 1e-9 || len(u.RecentSessions) != 3 {
				t.Fatalf("user analytics %v", u)
			}
			if len(u.ScoreTrend) != 3 || u.ScoreTrend[0].Score != 50 || u.ScoreTrend[2].Score != 80 || math.Abs(u.ScoreSlope-15) > 1e-9 {
				t.Fatalf("trend %v slope %v", u.ScoreTrend, u.ScoreSlope)
			}
			wantMissed := []*analyticsv1.TechniqueStat{
				{Technique: disclosure, Missed: 3, Graded: 3, PointsLost: 30},
				{Technique: ask, Missed: 1, Graded: 3, PointsLost: 10},
			}
			if len(u.MissedTechniques) != 2 || !proto.Equal(u.MissedTechniques[0], wantMissed[0]) || !proto.Equal(u.MissedTechniques[1], wantMissed[1]) {
				t.Fatalf("missed %v, want %v", u.MissedTechniques, wantMissed)
			}
			// Three one-turn sessions: the end comes 20 s after the start.
			if u.PracticeSeconds != 60 {
				t.Fatalf("practice %v s, want 60", u.PracticeSeconds)
			}
			since, err := c.GetUserAnalytics(t.Context(), as(b.traineeA, &analyticsv1.GetUserAnalyticsRequest{Since: timestamppb.New(base.Add(90 * time.Minute))}))
			if err != nil {
				t.Fatal(err)
			}
			if since.Msg.SessionCount != 1 || since.Msg.AverageScore != 80 {
				t.Fatalf("since: %v", since.Msg)
			}

			d, err := c.GetDealershipAnalytics(t.Context(), as(b.adminA, &analyticsv1.GetDealershipAnalyticsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			m := d.Msg
			if m.SessionCount != 5 || m.ActiveTrainees != 2 || m.GradedSessionCount != 3 || math.Abs(m.AverageScore-190.0/3) > 1e-9 {
				t.Fatalf("dealership analytics %v", m)
			}
			if len(m.WeakestTechniques) != 2 || m.WeakestTechniques[0].Technique != disclosure {
				t.Fatalf("weakest %v", m.WeakestTechniques)
			}
			if len(m.TopQuestions) != 2 || m.TopQuestions[0].Count != 3 || m.TopQuestions[0].Text != "  What does GAP  cover?! " ||
				m.TopQuestions[1].Count != 2 || m.TopQuestions[1].Text != "is TIRE and wheel, worth it" {
				t.Fatalf("top questions %v", m.TopQuestions)
			}
			if len(m.UnansweredQuestions) != 1 || m.UnansweredQuestions[0].Count != 2 {
				t.Fatalf("unanswered %v", m.UnansweredQuestions)
			}
		})
	}
}

// TestRegionLatency compares the percentiles PostgreSQL computes with the same
// interpolation done here, per region and stage; turns before the window are left out.
func TestRegionLatency(t *testing.T) {
	b := setup(t)
	b.run(t)
	now := time.Now()
	gaps := map[string][]float64{"us-east": {}, "eu-west": {}}
	for region, n := range map[string]int{"us-east": 100, "eu-west": 10} {
		e := *b.edge
		e.region = region
		s := newSession(b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, now.Add(-time.Hour))
		for i := range n {
			g := float64(200 + (i*37)%101)
			if region == "eu-west" {
				g += 100
			}
			gaps[region] = append(gaps[region], g)
			e.turn(s, s.voice("yes", "ok", false, 500, map[string]float64{callevent.StageEndpoint: 150, callevent.StageTurnGap: g}))
		}
		waitTurns(t, b.pool, s.id, n)
	}
	old := newSession(b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, now.Add(-72*time.Hour))
	b.edge.turn(old, old.voice("old", "old", false, 500, map[string]float64{callevent.StageTurnGap: 99999}))
	waitTurns(t, b.pool, old.id, 1)

	pct := func(v []float64, p float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		x := p * float64(len(v)-1)
		lo := math.Floor(x)
		i := int(lo)
		if i+1 >= len(v) {
			return v[len(v)-1]
		}
		return v[i] + (x-lo)*(v[i+1]-v[i])
	}
	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			r, err := c.GetRegionLatency(t.Context(), as(b.root, &analyticsv1.GetRegionLatencyRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Msg.Regions) != 2 || r.Msg.Regions[0].Region != "eu-west" || r.Msg.Regions[1].Region != "us-east" {
				t.Fatalf("regions %v", r.Msg.Regions)
			}
			for _, reg := range r.Msg.Regions {
				if len(reg.Stages) != 2 || reg.Stages[0].Stage != "endpoint" || reg.Stages[1].Stage != "turn_gap" {
					t.Fatalf("%s stages %v", reg.Region, reg.Stages)
				}
				ep, tg := reg.Stages[0], reg.Stages[1]
				if ep.P50Ms != 150 || ep.P99Ms != 150 || ep.Count != int64(len(gaps[reg.Region])) {
					t.Fatalf("%s endpoint %v", reg.Region, ep)
				}
				v := gaps[reg.Region]
				for _, x := range []struct {
					name     string
					got, exp float64
				}{{"p50", tg.P50Ms, pct(v, 0.5)}, {"p95", tg.P95Ms, pct(v, 0.95)}, {"p99", tg.P99Ms, pct(v, 0.99)}} {
					if math.Abs(x.got-x.exp) > 1e-6 {
						t.Fatalf("%s turn_gap %s = %v, want %v", reg.Region, x.name, x.got, x.exp)
					}
				}
			}
			all, err := c.GetRegionLatency(t.Context(), as(b.root, &analyticsv1.GetRegionLatencyRequest{Since: timestamppb.New(now.Add(-100 * time.Hour))}))
			if err != nil {
				t.Fatal(err)
			}
			if us := all.Msg.Regions[1]; us.Stages[1].Count != 101 {
				t.Fatalf("a wider window should count the old turn: %v", us.Stages[1])
			}
		})
	}
}

// TestDeleteUserSessions: an admin deletes one trainee's sessions (audited); the other
// trainee's stay, and the deleted sessions' events, published again, are not recorded.
func TestDeleteUserSessions(t *testing.T) {
	b := setup(t)
	b.run(t)
	start := time.Now().Add(-time.Hour)
	var gone []*session
	var turnsOf = map[string][]*analyticsv1.Turn{}
	for i := range 2 {
		s := b.play(t, b.traineeA, conversationv1.Mode_MODE_TRAINING, start.Add(time.Duration(i)*time.Minute), func(s *session) []*analyticsv1.Turn {
			ts := []*analyticsv1.Turn{s.text("What is GAP?", "Coverage."), s.text("And VSC?", "Repairs.")}
			turnsOf[s.id] = ts
			return ts
		}, nil)
		gone = append(gone, s)
	}
	kept := b.play(t, b.otherA, conversationv1.Mode_MODE_TRAINING, start, oneTurn, nil)

	r, err := b.connect.DeleteUserSessions(t.Context(), as(b.adminA, &analyticsv1.DeleteUserSessionsRequest{UserId: b.traineeA.id}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Msg.DeletedSessions != 2 || r.Msg.DeletedTurns != 4 {
		t.Fatalf("deleted %v", r.Msg)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM audit_events WHERE action = 'avatar.analytics.v1.AnalyticsService/DeleteUserSessions'
		AND actor_id = $1 AND dealership_id = $2 AND changed_fields->>'userId' = $3`, b.adminA.id, b.dealerA, b.traineeA.id); n != 1 {
		t.Fatalf("%d audit events for the delete, want 1", n)
	}
	// The edge publishes the deleted sessions' events again (a call going on, or a retry).
	for _, s := range gone {
		st := s.startedEvent("us-east")
		b.edge.publish(b.bus.Names.Subject("session", "started", "us-east"), st.EventId+":again", st)
		for _, tr := range turnsOf[s.id] {
			m := s.turnEvent("us-east", tr)
			b.edge.publish(b.bus.Names.Subject("turn", "completed", "us-east"), m.EventId+":again", m)
		}
		en := s.endedEvent("us-east", nil, "ended")
		b.edge.publish(b.bus.Names.Subject("session", "ended", "us-east"), en.EventId+":again", en)
	}
	caughtUp(t, b.bus)
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_sessions WHERE user_id = $1`, b.traineeA.id); n != 0 {
		t.Fatalf("%d sessions of the deleted user came back", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns t WHERE session_id = $1`, gone[0].id); n != 0 {
		t.Fatalf("%d turns came back", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns WHERE session_id = $1`, kept.id); n != 1 {
		t.Fatal("the other trainee's session lost its turn")
	}
	// Nothing left to delete is not an error; a user of no dealership's is NotFound.
	r, err = b.grpc.DeleteUserSessions(t.Context(), as(b.adminA, &analyticsv1.DeleteUserSessionsRequest{UserId: b.traineeA.id}))
	if err != nil || r.Msg.DeletedSessions != 0 {
		t.Fatalf("second delete: %v %v", r, err)
	}
	_, err = b.grpc.DeleteUserSessions(t.Context(), as(b.adminA, &analyticsv1.DeleteUserSessionsRequest{UserId: "5b1c3f6e-1111-4222-8333-944455566677"}))
	wantCode(t, err, connect.CodeNotFound, "NOT_FOUND")
}

// TestSetRetention: admins set their dealership's period (audited) and read it back;
// the other dealership keeps the default.
func TestSetRetention(t *testing.T) {
	b := setup(t)
	for _, p := range b.clients() {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			r, err := c.SetRetention(t.Context(), as(b.adminA, &analyticsv1.SetRetentionRequest{RetentionDays: 90}))
			if err != nil || r.Msg.RetentionDays != 90 {
				t.Fatalf("set: %v %v", r, err)
			}
			g, err := c.GetRetention(t.Context(), as(b.adminA, &analyticsv1.GetRetentionRequest{}))
			if err != nil || g.Msg.RetentionDays != 90 {
				t.Fatalf("get: %v %v", g, err)
			}
			g, err = c.GetRetention(t.Context(), as(b.adminB, &analyticsv1.GetRetentionRequest{}))
			if err != nil || g.Msg.RetentionDays != 365 {
				t.Fatalf("B: %v %v", g, err)
			}
			_, err = c.SetRetention(t.Context(), as(b.adminA, &analyticsv1.SetRetentionRequest{RetentionDays: 3651}))
			wantCode(t, err, connect.CodeInvalidArgument, "VALIDATION_ERROR")
		})
	}
	if n := count(t, b.pool, `SELECT count(*) FROM audit_events WHERE action = 'avatar.analytics.v1.AnalyticsService/SetRetention' AND dealership_id = $1`, b.dealerA); n != 2 {
		t.Fatalf("%d audit events, want one per protocol", n)
	}
}
