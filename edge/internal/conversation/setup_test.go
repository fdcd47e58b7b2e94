package conversation_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"errors"

	"github.com/avatar-fi/avatar/edge/internal/auth"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/coretest"
	"github.com/avatar-fi/avatar/edge/internal/events"
	"github.com/avatar-fi/avatar/edge/internal/fakeengine"
	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/media/speechset"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
	"github.com/pion/webrtc/v4"
)

// testBundle is a real core and an edge in this process talking to it.
type testBundle struct {
	core     *coretest.Core
	srv      *rtc.Server
	sessions *session.Manager
	http     *httptest.Server // ConversationService and /v1/calls over HTTP/2
	client   conversationv1connect.ConversationServiceClient
	grpc     conversationv1connect.ConversationServiceClient
	region   string
}

type edgeOpts struct {
	transcriber pipeline.Transcriber
	synthesizer pipeline.Synthesizer
	voices      func(string) (pipeline.Synthesizer, error)
	model       *llm.Client
	limiter     conversation.Limiter
}

func setup(t *testing.T, o edgeOpts) *testBundle {
	t.Helper()
	core := coretest.Start(t)
	b := &testBundle{core: core, region: "test-" + core.DealershipID[:8]}
	verifier, err := auth.New(core.URL, core.URL)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := coreclient.New(coreclient.Config{BaseURL: core.URL})
	if err != nil {
		t.Fatal(err)
	}
	pub := events.New(core.NATSURL, b.region, nil)
	if err := pub.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Stop)
	if err := cc.Watch(context.WithoutCancel(t.Context()), pub.Conn()); err != nil {
		t.Fatal(err)
	}
	engines, err := conversation.NewEngineFactory(cc, o.model)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b.sessions, err = session.New(session.Config{NewEngine: engines, Events: pub, Region: b.region, EdgeID: "edge-test", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.sessions.Close) // before pub.Stop: runs first
	h := conversation.New(b.sessions, o.limiter, log)
	if o.transcriber == nil { // text-only tests: the voice test sets the real engines
		o.transcriber = fakeengine.Transcriber{Text: "hello"}
	}
	if o.synthesizer == nil {
		o.synthesizer = fakeengine.Synthesizer{}
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b.srv, err = rtc.New(rtc.Config{
		Region: b.region, UDPConn: conn, LoopbackOnly: true, Auth: verifier,
		Transcriber: o.transcriber, Synthesizer: o.synthesizer, Voices: o.voices,
		Dialogues: h, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.SetCalls(b.srv)
	mux := http.NewServeMux()
	mux.Handle(conversationv1connect.NewConversationServiceHandler(h, connect.WithReadMaxBytes(64<<10)))
	mux.Handle(rtc.CallsPath, b.srv.Handler())
	mux.Handle(rtc.CallsPath+"/", b.srv.Handler())
	b.http = httptest.NewUnstartedServer(mux)
	b.http.EnableHTTP2 = true
	b.http.StartTLS()
	t.Cleanup(func() {
		b.http.Close()
		b.srv.Close()
		conn.Close()
	})
	b.client = conversationv1connect.NewConversationServiceClient(b.http.Client(), b.http.URL)
	b.grpc = conversationv1connect.NewConversationServiceClient(b.http.Client(), b.http.URL, connect.WithGRPC())
	return b
}

// scenarioID returns the id of a built-in scenario by title words.
func (b *testBundle) scenarioID(t *testing.T, slugWord string) *scenariov1.Scenario {
	t.Helper()
	sc := scenariov1connect.NewScenarioServiceClient(b.core.HTTP, b.core.URL)
	resp, err := sc.ListScenarios(t.Context(), coretest.Authed(&scenariov1.ListScenariosRequest{}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range resp.Msg.GetScenarios() {
		if s.GetBuiltIn() && containsFold(s.GetTitle(), slugWord) {
			return s
		}
	}
	t.Fatalf("no built-in scenario titled like %q", slugWord)
	return nil
}

// chat sends one message and collects the stream.
type reply struct {
	text      string
	citations []*conversationv1.Citation
	done      *conversationv1.SendMessageResponse
}

func (b *testBundle) chat(t *testing.T, c conversationv1connect.ConversationServiceClient, token, sessionID, text string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stream, err := c.SendMessage(ctx, coretest.Authed(&conversationv1.SendMessageRequest{SessionId: sessionID, Text: text}, token))
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	var r reply
	for stream.Receive() {
		m := stream.Msg()
		r.text += m.GetDelta()
		r.citations = append(r.citations, m.GetCitations()...)
		if m.GetDone() {
			r.done = m
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	if r.done == nil {
		t.Fatalf("send %q: no done message", text)
	}
	return r
}

// streamEvents reads the AVATAR_EVENTS messages of b's region.
func (b *testBundle) streamEvents(t *testing.T, want int) []proto.Message {
	t.Helper()
	nc, err := nats.Connect(b.core.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "AVATAR_EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"avatar.session.*." + b.region, "avatar.turn.completed." + b.region},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	for len(out) < want {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("events: %v (got %d of %d)", err, len(out), want)
		}
		var m proto.Message
		switch msg.Subject() {
		case "avatar.turn.completed." + b.region:
			m = &eventsv1.TurnCompleted{}
		case "avatar.session.started." + b.region:
			m = &eventsv1.SessionStarted{}
		default:
			m = &eventsv1.SessionEnded{}
		}
		if err := proto.Unmarshal(msg.Data(), m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// offerSDP returns a real audio offer.
func offerSDP(t *testing.T) string {
	t.Helper()
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// loadClips returns the shared speech set's audio by file name.
func loadClips(t *testing.T) map[string][]int16 {
	t.Helper()
	clips, err := speechset.Load(speechset.SharedDir())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int16{}
	for _, c := range clips {
		out[c.Name] = c.PCM
	}
	return out
}
