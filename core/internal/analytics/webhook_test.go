package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/webhook"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// hookStore is the dealerships' webhooks: dealership → URL and secret.
type hookStore map[string]struct {
	url    string
	secret []byte
}

func (h hookStore) GetWebhook(_ context.Context, dealershipID string) (string, []byte, error) {
	w := h[dealershipID]
	return w.url, w.secret, nil
}

// delivery is one request the receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a dealership's webhook endpoint: it answers 500 to the first request of
// each delivery id and 200 afterwards.
type receiver struct {
	mu   sync.Mutex
	got  []delivery
	seen map[string]bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, delivery{header: req.Header.Clone(), body: body})
	id := req.Header.Get("X-Avatar-Delivery")
	if !r.seen[id] {
		r.seen[id] = true
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// TestWebhookSessionEnded: when a session ends, its dealership's webhook gets a
// session.ended delivery signed like document.ready, retried after a failure; a
// dealership without a webhook gets none; an abandoned session is delivered too.
func TestWebhookSessionEnded(t *testing.T) {
	rcv := &receiver{seen: map[string]bool{}}
	hs := httptest.NewServer(rcv)
	t.Cleanup(hs.Close)
	secret := []byte("whsec-" + apitest.RandHex(8))
	hooks := hookStore{}
	b := setup(t, func(c *analytics.Config) {
		c.Webhooks = hooks
		c.AbandonAfter = time.Second
		c.SweepInterval = time.Hour
	})
	hooks[b.dealerA] = struct {
		url    string
		secret []byte
	}{hs.URL + "/hooks/avatar", secret}
	b.run(t)

	s := b.play(t, b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour), oneTurn,
		card(77, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_RAPPORT}, nil))
	b.play(t, b.traineeB, conversationv1.Mode_MODE_TRAINING, time.Now().Add(-time.Hour), oneTurn, nil)

	waitDeliveries := func(n int) []delivery {
		t.Helper()
		var got []delivery
		eventually(t, fmt.Sprintf("%d webhook requests", n), func() error {
			if got = rcv.deliveries(); len(got) < n {
				return fmt.Errorf("%d requests", len(got))
			}
			return nil
		})
		return got
	}
	got := waitDeliveries(2) // the failed attempt and its retry
	for i, d := range got {
		if d.header.Get("X-Avatar-Event") != analytics.EventSessionEnded || d.header.Get("X-Avatar-Delivery") != s.id+":ended" {
			t.Fatalf("request %d headers %v", i, d.header)
		}
		ts := d.header.Get("X-Avatar-Timestamp")
		if want := webhook.Sign(secret, ts, d.body); d.header.Get("X-Avatar-Signature") != want {
			t.Fatalf("request %d signature %q, want %q", i, d.header.Get("X-Avatar-Signature"), want)
		}
		var body struct {
			Event, DeliveryID, Timestamp string
			Session                      struct {
				ID, UserID, DealershipID, EndReason, Mode string
				OverallScore                              float64
				TurnCount                                 int
			}
		}
		if err := json.Unmarshal(d.body, &body); err != nil {
			t.Fatal(err)
		}
		se := body.Session
		if body.Event != "session.ended" || body.DeliveryID != s.id+":ended" || body.Timestamp != ts || se.ID != s.id ||
			se.UserID != b.traineeA.id || se.DealershipID != b.dealerA || se.EndReason != "ended" ||
			se.Mode != conversationv1.Mode_MODE_ROLE_PLAY.String() || se.OverallScore != 77 || se.TurnCount != 1 {
			t.Fatalf("request %d body %s", i, d.body)
		}
	}
	eventually(t, "the delivery settled", func() error {
		if n := count(t, b.pool, `SELECT count(*) FROM analytics_sessions WHERE webhook_due_at IS NOT NULL`); n != 0 {
			return fmt.Errorf("%d deliveries still due", n)
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(rcv.deliveries()); n != 2 {
		t.Fatalf("%d requests, want 2 (B has no webhook, A's delivery succeeded on the retry)", n)
	}

	dead := newSession(b.otherA, conversationv1.Mode_MODE_TRAINING, time.Now().Add(-time.Hour))
	b.edge.start(dead)
	b.edge.turn(dead, dead.text("Anyone?", "Yes."))
	waitTurns(t, b.pool, dead.id, 1)
	caughtUp(t, b.bus)
	time.Sleep(1200 * time.Millisecond)
	if n, err := b.svc.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	got = waitDeliveries(4)
	if id := got[3].header.Get("X-Avatar-Delivery"); id != dead.id+":"+analytics.EndAbandoned {
		t.Fatalf("delivery id %q for the abandoned session", id)
	}
	var body struct{ Session json.RawMessage }
	if err := json.Unmarshal(got[3].body, &body); err != nil {
		t.Fatal(err)
	}
	var sess analyticsv1.Session
	if err := protojson.Unmarshal(body.Session, &sess); err != nil {
		t.Fatalf("the session is not an avatar.analytics.v1.Session in proto3 JSON: %v", err)
	}
	if sess.Id != dead.id || sess.EndReason != analytics.EndAbandoned || !sess.EndTime.AsTime().Equal(dead.at(1)) {
		t.Fatalf("abandoned session delivered as %v", &sess)
	}
}
