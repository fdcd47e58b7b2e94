package rtc_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// pionPeer is a bare pion caller: an Opus transceiver and the events data
// channel, enough to set up a call and renegotiate it.
type pionPeer struct {
	pc        *webrtc.PeerConnection
	connected chan struct{}
}

func newPionPeer(t *testing.T) *pionPeer {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	p := &pionPeer{pc: pc, connected: make(chan struct{}, 8)}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			p.connected <- struct{}{}
		}
	})
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel("events", nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// offer makes and applies a local offer (an ICE restart when restart is
// set) and returns it once gathering is complete.
func (p *pionPeer) offer(t *testing.T, restart bool) string {
	t.Helper()
	o, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return p.pc.LocalDescription().SDP
}

func (p *pionPeer) waitConnected(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-p.connected:
	case <-time.After(within):
		t.Fatalf("not connected within %v (state %s)", within, p.pc.ConnectionState())
	}
}

// do sends an SDP request and returns the status and body.
func do(t *testing.T, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost && resp.StatusCode == http.StatusCreated {
		return resp.StatusCode, resp.Header.Get("Location") + "\n" + string(b)
	}
	return resp.StatusCode, string(b)
}

// iceUfrag returns the first ice-ufrag of an SDP.
func iceUfrag(t *testing.T, s string) string {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		t.Fatal(err)
	}
	for _, m := range d.MediaDescriptions {
		if v, ok := m.Attribute("ice-ufrag"); ok {
			return v
		}
	}
	if v, ok := d.Attribute("ice-ufrag"); ok {
		return v
	}
	t.Fatalf("no ice-ufrag in %q", s)
	return ""
}

// TestICERestart renegotiates a live call's transport with PATCH, as the
// web app does when the network drops: the edge answers with new ICE
// credentials, the call connects again and is still the same call. Bad
// restarts are refused with the call left intact.
func TestICERestart(t *testing.T) {
	e := fakeEdge(t, edgeOpts{})
	token := e.tk.token(t, "u1", "ROLE_TRAINEE")
	p := newPionPeer(t)

	status, resp := do(t, http.MethodPost, e.http.URL+"/v1/calls", token, "application/sdp", p.offer(t, false))
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %s", status, resp)
	}
	location, answer, _ := strings.Cut(resp, "\n")
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	p.waitConnected(t, 10*time.Second)
	callURL := e.http.URL + location
	first := iceUfrag(t, answer)

	// Refused restarts leave the call as it was.
	other := e.tk.token(t, "u2", "ROLE_TRAINEE")
	for _, tc := range []struct {
		name, url, token, contentType, body string
		status                              int
		reason                              string
	}{
		{"another user's call", callURL, other, "application/sdp", "v=0", http.StatusNotFound, "NOT_FOUND"},
		{"unknown call", e.http.URL + "/v1/calls/nope", token, "application/sdp", "v=0", http.StatusNotFound, "NOT_FOUND"},
		{"wrong content type", callURL, token, "application/json", "{}", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA"},
		{"garbage SDP", callURL, token, "application/sdp", "\x00not SDP", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"an answer, not an offer", callURL, token, "application/sdp", answer, http.StatusBadRequest, "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, http.MethodPatch, tc.url, tc.token, tc.contentType, tc.body)
			if status != tc.status || !strings.HasPrefix(body, tc.reason+":") {
				t.Errorf("got %d %q, want %d %s", status, body, tc.status, tc.reason)
			}
		})
	}
	if n := e.srv.ActiveCalls(); n != 1 {
		t.Fatalf("%d calls after refused restarts, want the one", n)
	}

	status, answer2 := do(t, http.MethodPatch, callURL, token, "application/sdp", p.offer(t, true))
	if status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", status, answer2)
	}
	if second := iceUfrag(t, answer2); second == first {
		t.Errorf("the restart's answer kept the ICE credentials %q", first)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer2}); err != nil {
		t.Fatal(err)
	}
	// The ICE agent reconnects on the new credentials; the call stays.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for p.pc.ICEConnectionState() != webrtc.ICEConnectionStateConnected {
		select {
		case <-ctx.Done():
			t.Fatalf("ICE state %s after the restart", p.pc.ICEConnectionState())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := e.srv.ActiveCalls(); n != 1 {
		t.Errorf("%d calls after the restart, want the same one", n)
	}
	if status, body := do(t, http.MethodDelete, callURL, token, "application/sdp", ""); status != http.StatusOK {
		t.Errorf("DELETE after the restart: %d %s", status, body)
	}
}
