package coreclient_test

import (
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/coretest"
)

// counting counts the requests that reach the core.
type counting struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestSearchCache searches a real core: a repeated question is answered
// from the cache until the dealership's knowledge changes.
func TestSearchCache(t *testing.T) {
	core := coretest.Start(t)
	data, err := os.ReadFile("../../../deploy/dev/demo/gap-insurance.md")
	if err != nil {
		t.Fatal(err)
	}
	core.Upload(t, "GAP", "gap.md", data)
	rt := &counting{next: http.DefaultTransport}
	c, err := coreclient.New(coreclient.Config{BaseURL: core.URL, HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(core.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := c.Watch(t.Context(), nc); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	caller := coreclient.Caller{Token: core.TraineeToken, DealershipID: core.DealershipID}
	res, err := c.Search(t.Context(), caller, "What does GAP not cover?", 3)
	if err != nil || len(res) == 0 {
		t.Fatalf("search: %v, %d results", err, len(res))
	}
	if _, err := c.Search(t.Context(), caller, "  what does GAP  not cover? ", 3); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Load(); n != 1 {
		t.Errorf("%d requests for the same question twice, want 1 (cached)", n)
	}
	// A new document moves the dealership's knowledge on: the next search asks the core.
	core.Upload(t, "More", "more.md", []byte("# More\n\nGAP waivers are sold by lenders in some states."))
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := rt.n.Load()
		if _, err := c.Search(t.Context(), caller, "What does GAP not cover?", 3); err != nil {
			t.Fatal(err)
		}
		if rt.n.Load() > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache outlived a knowledge change")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCredentials uses the caller's token while it is valid, and the edge's
// service key for the caller's dealership once it has expired.
func TestCredentials(t *testing.T) {
	core := coretest.Start(t)
	expired := coreclient.Caller{Token: core.TraineeToken, Expires: time.Now().Add(-time.Minute), DealershipID: core.DealershipID}
	plain, err := coreclient.New(coreclient.Config{BaseURL: core.URL, CacheEntries: -1})
	if err != nil {
		t.Fatal(err)
	}
	// The token itself is still valid at the core, so an expiry in the past is
	// only a hint: without a key, the token is sent anyway.
	if _, err := plain.Search(t.Context(), expired, "gap", 3); err != nil {
		t.Errorf("without a key: %v", err)
	}
	if _, err := plain.Search(t.Context(), coreclient.Caller{DealershipID: core.DealershipID}, "gap", 3); !errors.Is(err, coreclient.ErrUnauthenticated) {
		t.Errorf("no credentials: %v, want ErrUnauthenticated", err)
	}
	if _, err := plain.Search(t.Context(), coreclient.Caller{Token: "not-a-token", DealershipID: core.DealershipID}, "gap", 3); !errors.Is(err, coreclient.ErrUnauthenticated) {
		t.Errorf("bad token: %v, want ErrUnauthenticated", err)
	}
	keyed, err := coreclient.New(coreclient.Config{BaseURL: core.URL, APIKey: core.EdgeKey(t), CacheEntries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyed.Search(t.Context(), coreclient.Caller{Token: "expired", Expires: time.Now().Add(-time.Minute), DealershipID: core.DealershipID}, "gap", 3); err != nil {
		t.Errorf("service key for the dealership: %v", err)
	}
	if _, err := keyed.Scenario(t.Context(), coreclient.Caller{Token: core.TraineeToken, DealershipID: core.DealershipID}, "00000000-0000-4000-8000-000000000000", 0); !errors.Is(err, coreclient.ErrNotFound) {
		t.Errorf("unknown scenario: %v, want ErrNotFound", err)
	}
}
