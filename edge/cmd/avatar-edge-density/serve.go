package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/edge/internal/auth"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	"github.com/avatar-fi/avatar/edge/internal/fakeengine"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

const issuer = "http://density.local"

// serveEdge runs an edge on loopback, with the engines avatar-edge runs by
// default, and prints "READY <url> <token> <pprof address or ->".
func serveEdge(ctx context.Context, o options) error {
	kid, key, err := accesstoken.GenerateKey()
	if err != nil {
		return err
	}
	signer, err := accesstoken.NewSigner(kid, key, issuer, accesstoken.WithTTL(24*time.Hour))
	if err != nil {
		return err
	}
	verifier, err := auth.NewWithKeys(accesstoken.NewStaticKeySet(signer.PublicKey()), issuer)
	if err != nil {
		return err
	}
	token, err := signer.Sign(accesstoken.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "density"}, Role: "ROLE_TRAINEE", DealershipID: "d"})
	if err != nil {
		return err
	}
	dlg, err := newDialogues(o.scenario)
	if err != nil {
		return err
	}
	cfg := rtc.Config{Region: "density", LoopbackOnly: true, MaxCalls: 100000, Auth: verifier, Dialogues: dlg}
	if o.engines == "fake" {
		cfg.Transcriber, cfg.Synthesizer = fakeengine.Transcriber{Text: "hello there"}, fakeengine.Synthesizer{}
	} else {
		tr, err := pocketsphinx.New(pocketsphinx.Config{DomainLM: o.lm, Prewarm: 2})
		if err != nil {
			return err
		}
		defer tr.Close()
		sy, err := flite.New(flite.Config{})
		if err != nil {
			return err
		}
		cfg.Transcriber, cfg.Synthesizer = tr, sy
		cfg.Voices = func(v string) (pipeline.Synthesizer, error) { return sy.ForVoice(v) }
	}
	if o.vad == "silero" {
		pool, err := silero.NewPool(0, silero.WithDir(o.models))
		if err != nil {
			return err
		}
		defer func() { _ = pool.Close() }()
		cfg.NewDetector = func() (vad.Detector, error) { return pool.NewStream() }
		cfg.DetectorHold = pipeline.SileroHold
	}
	srv, err := rtc.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	lc := new(net.ListenConfig)
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	pp := "-"
	if o.pprof != "" {
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(5)
		pln, err := lc.Listen(ctx, "tcp", o.pprof)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		ps := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ps.Serve(pln) }()
		defer ps.Close()
		pp = pln.Addr().String()
	}
	fmt.Printf("READY http://%s %s %s\n", ln.Addr(), token, pp)
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); stop() }()
	<-ctx.Done()
	return hs.Close()
}

// newDialogues answers every call with a role-play session of its own, the
// customer of the scenario in file: the production dialogue engine, without
// a core to fetch the scenario from.
func newDialogues(file string) (rtc.Dialogues, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	var sc scenariov1.Scenario
	if err := protojson.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", file, err)
	}
	classifier, err := technique.New()
	if err != nil {
		return nil, err
	}
	m, err := session.New(session.Config{
		Region: "density",
		NewEngine: func(_ context.Context, spec session.Spec) (session.Built, error) {
			e, err := customer.New(customer.Config{Scenario: &sc, Classifier: classifier, Seed: spec.SessionID})
			return session.Built{Engine: e, Scenario: &sc}, err
		},
	})
	if err != nil {
		return nil, err
	}
	return dialoguesFunc(func(ctx context.Context, id rtc.Identity, _, callID string) (rtc.Dialogue, error) {
		s, err := m.Start(ctx, session.Owner{UserID: id.UserID, DealershipID: id.DealershipID}, conversationv1.Mode_MODE_ROLE_PLAY, "density")
		if err != nil {
			return nil, err
		}
		return conversation.JoinCall(s, callID)
	}), nil
}

type dialoguesFunc func(ctx context.Context, id rtc.Identity, sessionID, callID string) (rtc.Dialogue, error)

func (f dialoguesFunc) Join(ctx context.Context, id rtc.Identity, sessionID, callID string) (rtc.Dialogue, error) {
	return f(ctx, id, sessionID, callID)
}
