package analytics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// BenchmarkRecord measures how many session events one core writes per second, from a
// backlog: each iteration publishes 2,000 voice-turn events (20 sessions of 100 turns)
// while the consumers are stopped, then runs the service until every turn row is
// written. The events/s metric is the figure; batch=1 writes every event in a
// transaction of its own, the others take what is waiting, up to the batch size.
func BenchmarkRecord(b *testing.B) {
	for _, batch := range []int{1, 50, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			const sessions, perSession = 20, 100
			pool := dbtest.NewPool(b)
			bus := apitest.NewBus(b)
			ctx := context.Background()
			var u user
			if err := pool.QueryRow(ctx, `INSERT INTO dealerships (name) VALUES ('Bench Motors') RETURNING id::text`).Scan(&u.dealership); err != nil {
				b.Fatal(err)
			}
			if err := pool.QueryRow(ctx, `INSERT INTO users (dealership_id, email, password_hash, role) VALUES ($1, 'bench@analytics.test', 'x', $2)
				RETURNING id::text`, u.dealership, orgv1.Role_ROLE_TRAINEE.String()).Scan(&u.id); err != nil {
				b.Fatal(err)
			}
			svc, err := analytics.New(analytics.Config{DB: pool, Bus: bus, MaxBatch: batch})
			if err != nil {
				b.Fatal(err)
			}
			run := func() (stop func()) {
				rctx, cancel := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { _ = svc.Run(rctx); close(done) }()
				return func() { cancel(); <-done }
			}
			run()() // creates the consumers
			subject := bus.Names.Subject("turn", "completed", "us-east")
			written := 0
			var elapsed time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for range sessions {
					s := newSession(u, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour))
					for range perSession {
						t := s.voice("Let me show you the whole menu side by side, with the payment for each.", "Okay, go ahead.", false, 3800,
							map[string]float64{callevent.StageEndpoint: 180, callevent.StageSTTFinal: 22, callevent.StageFirstText: 9,
								callevent.StageFirstAudio: 31, callevent.StageFirstPacket: 2, callevent.StageTurnGap: 244})
						t.Techniques = []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_FULL_MENU}
						publishAsync(b, bus, subject, s.turnEvent("us-east", t))
					}
				}
				select {
				case <-bus.JS.PublishAsyncComplete():
				case <-time.After(patience):
					b.Fatal("publish did not complete")
				}
				want := written + sessions*perSession
				b.StartTimer()
				start := time.Now()
				stop := run()
				for count(b, pool, `SELECT count(*) FROM analytics_turns`) < want {
					time.Sleep(2 * time.Millisecond)
				}
				elapsed += time.Since(start)
				b.StopTimer()
				stop()
				written = want
				b.StartTimer()
			}
			b.ReportMetric(float64(written)/elapsed.Seconds(), "events/s")
		})
	}
}

// publishAsync publishes m under its event id without waiting for the acknowledgement.
func publishAsync(b *testing.B, bus *events.Bus, subject string, m *eventsv1.TurnCompleted) {
	b.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bus.JS.PublishAsync(subject, data, jetstream.WithMsgID(m.EventId)); err != nil {
		b.Fatal(err)
	}
}
