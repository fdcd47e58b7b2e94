package rtc_test

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// fakeSTT hears "hello" in anything; fakeTTS speaks a 440 Hz tone, 50 ms a
// word. Both cost next to nothing.
type fakeSTT struct{}

func (fakeSTT) NewStream(context.Context) (stt.Stream, error) { return &fakeStream{}, nil }

type fakeStream struct {
	mu sync.Mutex
	n  int
}

func (s *fakeStream) Write([]int16) error { s.mu.Lock(); s.n++; s.mu.Unlock(); return nil }
func (s *fakeStream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return ""
	}
	return "hello"
}
func (s *fakeStream) Final(context.Context) (string, error) { return s.Partial(), nil }
func (s *fakeStream) Close() error                          { return nil }

type fakeTTS struct{}

func (fakeTTS) Synthesize(ctx context.Context, text string, out func([]int16) error) error {
	buf := make([]int16, 2400)
	for i := range buf {
		buf[i] = int16(5000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	for range strings.Fields(text) {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := out(buf); err != nil {
			return err
		}
	}
	return nil
}

func fakeEdge(t *testing.T, o edgeOpts) *edge {
	t.Helper()
	o.transcriber, o.synthesizer = fakeSTT{}, fakeTTS{}
	return startEdge(t, o)
}

func post(t *testing.T, e *edge, token, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.http.URL+"/v1/calls", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	return resp, string(b[:n])
}

// offerWithoutOpus is a valid offer whose only audio codec is PCMU.
func offerWithoutOpus(t *testing.T) string {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

func TestOfferRejected(t *testing.T) {
	e := fakeEdge(t, edgeOpts{})
	token := e.tk.token(t, "u1", "ROLE_TRAINEE")
	tests := []struct {
		name        string
		token       string
		contentType string
		body        string
		status      int
		reason      string
	}{
		{"no token", "", "application/sdp", "v=0", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"bad token", "not.a.jwt", "application/sdp", "v=0", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"wrong content type", token, "application/json", "{}", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA"},
		{"empty body", token, "application/sdp", "", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"garbage SDP", token, "application/sdp", "\x00\xffhello\nthis is not SDP", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"SDP without media", token, "application/sdp", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", http.StatusBadRequest, "UNSUPPORTED_MEDIA"},
		{"offer without Opus", token, "application/sdp", offerWithoutOpus(t), http.StatusBadRequest, "UNSUPPORTED_MEDIA"},
		{"oversized body", token, "application/sdp", "v=0\r\n" + strings.Repeat("a=x\r\n", 100000), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, e, tc.token, tc.contentType, tc.body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(body, tc.reason+":") {
				t.Errorf("got %d %q, want %d %s", resp.StatusCode, body, tc.status, tc.reason)
			}
		})
	}
	if n := e.srv.ActiveCalls(); n != 0 {
		t.Errorf("ActiveCalls %d after rejected offers", n)
	}
}

func dial(t *testing.T, ctx context.Context, e *edge) *caller.Caller {
	t.Helper()
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	c, err := caller.Dial(ctx, api, e.http.URL, e.tk.token(t, "u1", "ROLE_TRAINEE"), caller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCallLimitAndDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := fakeEdge(t, edgeOpts{maxCalls: 1})
	c := dial(t, ctx, e)
	api, _ := caller.NewAPI()
	_, err := caller.Dial(ctx, api, e.http.URL, e.tk.token(t, "u2", "ROLE_TRAINEE"), caller.Options{})
	if !errors.Is(err, caller.ErrStatus) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("second call: %v, want 503", err)
	}
	// Another user cannot hang up the call.
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, e.http.URL+c.Location(), nil)
	req.Header.Set("Authorization", "Bearer "+e.tk.token(t, "u2", "ROLE_TRAINEE"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE by another user: %d, want 404", resp.StatusCode)
	}
	// Drain: new calls are refused, the live one is ended at the deadline.
	dctx, dcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer dcancel()
	drained := make(chan error, 1)
	go func() { drained <- e.srv.Drain(dctx) }()
	time.Sleep(100 * time.Millisecond)
	if resp, body := post(t, e, e.tk.token(t, "u3", "ROLE_TRAINEE"), "application/sdp", "v=0"); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("offer while draining: %d %q", resp.StatusCode, body)
	}
	if err := <-drained; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Drain: %v, want deadline exceeded", err)
	}
	if n := e.srv.ActiveCalls(); n != 0 {
		t.Errorf("ActiveCalls %d after drain", n)
	}
}

func TestDrainWaitsForCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := fakeEdge(t, edgeOpts{})
	c := dial(t, ctx, e)
	done := make(chan error, 1)
	go func() { done <- e.srv.Drain(ctx) }()
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Drain returned %v with a live call", err)
	default:
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Drain: %v", err)
	}
}

func TestGarbageMedia(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := fakeEdge(t, edgeOpts{})
	c := dial(t, ctx, e)
	// Garbage Opus payloads of every size, and garbage datagrams on the
	// shared UDP port.
	c.SendRaw([]byte{0xff}, []byte{0, 0, 0}, make([]byte, 1200), []byte(strings.Repeat("\xfc\xff", 300)))
	udp, err := net.Dial("udp4", e.srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		_, _ = udp.Write([]byte(strings.Repeat(string(rune('a'+i%26)), i*20+1)))
	}
	udp.Close()
	// The call still works: speech gets a reply.
	tone := make([]int16, 16000)
	for i := range tone {
		tone[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/16000))
	}
	c.Say(make([]int16, 8000))
	c.Say(tone)
	c.Say(make([]int16, 8000))
	if _, _, err := c.WaitEvent(ctx, 0, func(ev *conversationv1.CallEvent) bool { return ev.Type == callevent.TypeTurnLatency }); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := c.Audio(); n == 0 {
		t.Error("no reply audio")
	}
}

func TestDataChannelFlood(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := fakeEdge(t, edgeOpts{})
	c := dial(t, ctx, e)
	for range 500 {
		if err := c.SendData(`{"type":"spam"}`); err != nil {
			break
		}
	}
	waitCalls(t, e.srv, 0)
}

func TestPeerVanishes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := fakeEdge(t, edgeOpts{failed: 2 * time.Second})
	c := dial(t, ctx, e)
	c.Close() // no DELETE
	waitCalls(t, e.srv, 0)
}

func TestConnectTimeout(t *testing.T) {
	e := fakeEdge(t, edgeOpts{connect: 500 * time.Millisecond})
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel("events", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Post the offer but never apply the answer: ICE cannot connect.
	resp, body := post(t, e, e.tk.token(t, "u1", "ROLE_TRAINEE"), "application/sdp", offer.SDP)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("offer: %d %q", resp.StatusCode, body)
	}
	if e.srv.ActiveCalls() != 1 {
		t.Fatalf("ActiveCalls %d, want 1", e.srv.ActiveCalls())
	}
	waitCalls(t, e.srv, 0)
}
