package relay_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/relay"
)

// echoEdge is an in-process WHIP answerer that plays every audio packet it
// receives straight back: a stand-in edge for the caller and the relay.
// With readRTCP it reads its receiver's RTCP, so that its receiver reports
// echo the caller's sender reports (the edge does not).
func echoEdge(t *testing.T, readRTCP bool) *httptest.Server {
	t.Helper()
	// The caller's API (Opus, loopback ICE, RTCP reports) serves the peer
	// playing the edge as well.
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}

	var pcs []*webrtc.PeerConnection
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodDelete {
			return
		}
		offer, _ := io.ReadAll(req.Body)
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		pcs = append(pcs, pc)
		out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "echo")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sender, err := pc.AddTrack(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		go func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := sender.Read(buf); err != nil {
					return
				}
			}
		}()
		pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
			if readRTCP {
				// As a browser does: reading the receiver's RTCP lets the
				// report interceptor see the caller's sender reports.
				go func() {
					buf := make([]byte, 1500)
					for {
						if _, _, err := rcv.Read(buf); err != nil {
							return
						}
					}
				}()
			}
			for {
				p, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				_ = out.WriteRTP(p)
			}
		})
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer, err := pc.CreateAnswer(nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		gathered := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(answer); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		<-gathered
		w.Header().Set("Location", "/v1/calls/1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, pc.LocalDescription().SDP)
	}))
	t.Cleanup(func() {
		srv.Close()
		for _, pc := range pcs {
			_ = pc.Close()
		}
	})
	return srv
}

// TestCallThroughRelay dials a real pion peer with the load tester's SDP
// rewrites: the call must connect through the relay only (the offer has no
// candidates, the answer's point at the relay), and the caller's round
// trip (from RTCP when the peer echoes sender reports, else from ICE) must
// show the relay's delay both ways.
func TestCallThroughRelay(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readRTCP bool
		source   string
	}{{"rtcp", true, "rtcp"}, {"ice", false, "ice"}} {
		t.Run(tt.name, func(t *testing.T) { callThroughRelay(t, tt.readRTCP, tt.source) })
	}
}

func callThroughRelay(t *testing.T, readRTCP bool, source string) {
	t.Helper()
	srv := echoEdge(t, readRTCP)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const delay = 40 * time.Millisecond
	var rl *relay.Relay
	defer func() {
		if rl != nil {
			_ = rl.Close()
		}
	}()
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	c, err := caller.Dial(ctx, api, srv.URL, "token", caller.Options{
		Offer: func(sdp string) (string, error) { return relay.StripCandidates(sdp), nil },
		Answer: func(sdp string) (string, error) {
			target, err := relay.MediaCandidate(sdp)
			if err != nil {
				return "", err
			}
			if rl, err = relay.New(ctx, "127.0.0.1:0", target, relay.Impairment{Delay: delay}, 1); err != nil {
				return "", err
			}
			return relay.PointCandidates(sdp, rl.Addr())
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.Setup()
	// ICE, DTLS and the SCTP association take several round trips.
	if d := st.Connected.Sub(st.Started); d < 2*2*delay {
		t.Errorf("set-up took %v, less than two round trips through a %v relay: the call bypassed it", d, delay)
	}
	c.Say(make([]int16, 16000*3))
	time.Sleep(3500 * time.Millisecond)
	if n, _, _ := c.Audio(); n < 50 {
		t.Errorf("%d echoed packets in 3.5 s, want ≥ 50", n)
	}
	up := c.Uplink()
	if up.Reports == 0 {
		t.Fatal("no RTCP receiver report about the caller's audio")
	}
	rtt, from := c.RTT()
	if from != source {
		t.Errorf("round trip from %q, want %q", from, source)
	}
	if rtt < 2*delay-5*time.Millisecond || rtt > 2*delay+150*time.Millisecond {
		t.Errorf("round trip %v (%s), want about %v (the relay's delay each way)", rtt, from, 2*delay)
	}
	if up.Lost != 0 {
		t.Errorf("edge reports %d lost through a lossless relay", up.Lost)
	}
	if d := c.Downlink(); d.Received < 50 {
		t.Errorf("downlink stats: %+v, want ≥ 50 packets received", d)
	}
	s := rl.Stats()
	if s.Up < 100 || s.Down < 50 {
		t.Errorf("relay carried %d up, %d down: the media did not go through it", s.Up, s.Down)
	}
	if at, state := c.Lost(); !at.IsZero() {
		t.Errorf("connection %s during the call", state)
	}
}

func TestRewrites(t *testing.T) {
	answer := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=candidate:1 1 udp 2130706431 10.0.0.5 8091 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 127.0.0.1 8091 typ host\r\n" +
		"a=candidate:3 1 tcp 2130706431 127.0.0.1 9 typ host tcptype active\r\n" +
		"a=end-of-candidates\r\n"
	target, err := relay.MediaCandidate(answer)
	if err != nil || target.String() != "127.0.0.1:8091" {
		t.Fatalf("MediaCandidate = %v, %v; want the loopback one", target, err)
	}
	got, err := relay.PointCandidates(answer, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(got, "a=candidate:"); n != 1 || !strings.Contains(got, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n") {
		t.Errorf("PointCandidates:\n%s", got)
	}
	if !strings.Contains(got, "a=end-of-candidates") || !strings.HasPrefix(got, "v=0\r\nm=audio") {
		t.Errorf("PointCandidates changed other lines:\n%s", got)
	}
	if s := relay.StripCandidates(answer); strings.Contains(s, "a=candidate") || !strings.Contains(s, "a=end-of-candidates") {
		t.Errorf("StripCandidates:\n%s", s)
	}
	if _, err := relay.MediaCandidate("v=0\r\n"); err == nil {
		t.Error("MediaCandidate found a candidate in an SDP without one")
	}
	if _, err := relay.PointCandidates("v=0\r\n", target); err == nil {
		t.Error("PointCandidates rewrote an SDP without candidates")
	}
}
