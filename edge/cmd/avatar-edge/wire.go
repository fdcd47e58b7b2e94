package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatar-fi/avatar/edge/internal/auth"
	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/events"
	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts/espeak"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
	"github.com/avatar-fi/avatar/platform/cors"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// run wires the edge by hand, binds every listener, serves until ctx ends,
// then drains.
func run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	transcriber, closeSTT, err := newTranscriber(cfg)
	if err != nil {
		return fmt.Errorf("speech-to-text (%s): %w", cfg.STT, err)
	}
	defer closeSTT()
	synthesizer, voices, err := newSynthesizer(cfg)
	if err != nil {
		return fmt.Errorf("text-to-speech (%s): %w", cfg.TTS, err)
	}
	newDetector, closeVAD, err := newVAD(cfg)
	if err != nil {
		return fmt.Errorf("voice activity (%s): %w; set AVATAR_VAD=energy to run without the model", cfg.VAD, err)
	}
	defer closeVAD()
	verifier, err := auth.New(cfg.CoreURL, cfg.TokenIssuer)
	if err != nil {
		return err
	}
	pub := events.New(cfg.NATSURL, cfg.Region, log)
	if err := pub.Start(ctx); err != nil {
		log.Warn("NATS unavailable; events will not be published", "error", err.Error())
	}
	defer pub.Stop()

	core, err := coreclient.New(coreclient.Config{BaseURL: cfg.CoreURL, APIKey: cfg.EdgeAPIKey, Logger: log})
	if err != nil {
		return err
	}
	if nc := pub.Conn(); nc != nil {
		if err := core.Watch(ctx, nc); err != nil {
			log.Warn("knowledge changes not watched; cached answers expire only with the cache", "error", err.Error())
		}
	}
	var model *llm.Client
	if cfg.LLMURL != "" {
		model, err = llm.New(llm.Config{BaseURL: cfg.LLMURL, APIKey: cfg.LLMAPIKey, Model: cfg.LLMModel, Logger: log})
		if err != nil {
			return fmt.Errorf("AVATAR_LLM_URL: %w", err)
		}
	}
	engines, err := conversation.NewEngineFactory(core, model)
	if err != nil {
		return err
	}
	sessions, err := session.New(session.Config{
		NewEngine: engines, Events: pub, Region: cfg.Region, EdgeID: cfg.EdgeID,
		IdleTimeout: cfg.SessionIdle, Logger: log,
	})
	if err != nil {
		return err
	}
	defer sessions.Close() // graded and published (reason "shutdown") before pub.Stop
	limiter, closeLimiter, err := newLimiter(cfg, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	conv := conversation.New(sessions, limiter, log)

	ice := make([]webrtc.ICEServer, 0, len(cfg.ICEServers))
	for _, u := range cfg.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: []string{u}, Username: cfg.TURNUsername, Credential: cfg.TURNCredential})
	}
	srv, err := rtc.New(rtc.Config{
		Region:       cfg.Region,
		UDPPort:      cfg.UDPPort,
		PublicIPs:    cfg.PublicIPs,
		ICEServers:   ice,
		MaxCalls:     cfg.MaxCalls,
		Auth:         verifier,
		Transcriber:  transcriber,
		Synthesizer:  synthesizer,
		Voices:       voices,
		Dialogues:    conv,
		NewDetector:  newDetector,
		DetectorHold: detectorHold(cfg),
		Endpoint:     endpoint.Config{Threshold: cfg.TurnThreshold, LearnHabits: cfg.TurnHabits},
		Logger:       log,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	conv.SetCalls(srv)
	go func() { _ = sessions.Run(ctx) }()

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	debugSrv, debugLn, err := listenDebug(ctx, cfg.DebugAddr)
	if err != nil {
		_ = ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(rtc.CallsPath, srv.Handler())
	mux.Handle(rtc.CallsPath+"/", srv.Handler())
	path, h := conversationv1connect.NewConversationServiceHandler(conv, connect.WithReadMaxBytes(maxRequestBytes))
	mux.Handle(path, h)
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if srv.Draining() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		if srv.ActiveCalls() >= srv.Capacity() {
			http.Error(w, "at call limit", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ok\ncalls %d/%d\nsessions %d\nnats %v\n", srv.ActiveCalls(), srv.Capacity(), sessions.Len(), pub.Connected())
	})
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: cors.Handler(cors.Config{Origins: cfg.CORSOrigins}, mux), Protocols: protocols, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	if debugSrv != nil {
		go func() { _ = debugSrv.Serve(debugLn) }()
		defer debugSrv.Close()
		log.Warn("debug listener on: pprof with block and mutex profiling (AVATAR_EDGE_DEBUG_ADDR)", "addr", debugLn.Addr().String())
	}

	hbCtx, stopHB := context.WithCancel(ctx)
	hbDone := make(chan struct{})
	cpu := newCPUMeter()
	version := buildVersion()
	heartbeat := func() *eventsv1.EdgeHeartbeat {
		return &eventsv1.EdgeHeartbeat{
			EdgeId: cfg.EdgeID, Url: cfg.PublicURL,
			ActiveCalls: int32(srv.ActiveCalls()), Capacity: int32(srv.Capacity()),
			CpuLoad: cpu.load(), Draining: srv.Draining(), Version: version,
		}
	}
	go func() {
		defer close(hbDone)
		pub.Heartbeats(hbCtx, events.DefaultHeartbeatInterval, heartbeat)
	}()
	log.Info("edge serving", "addr", ln.Addr().String(), "udp", srv.LocalAddr().String(), "vad", cfg.VAD, "stt", cfg.STT, "tts", cfg.TTS, "llm", cfg.LLMURL != "", "max_calls", cfg.MaxCalls)

	select {
	case err := <-serveErr:
		stopHB()
		<-hbDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("draining", "active_calls", srv.ActiveCalls(), "deadline", cfg.ShutdownTimeout.String())
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	// Tell placement at once, not at the next tick, that this edge takes
	// no new calls.
	srv.StopAccepting()
	pub.Heartbeat(heartbeat())
	if err := srv.Drain(dctx); err != nil {
		log.Warn("drain deadline passed; remaining calls ended", "error", err.Error())
	}
	pub.Heartbeat(heartbeat())
	stopHB()
	<-hbDone
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown HTTP: %w", err)
	}
	log.Info("edge stopped")
	return nil
}

func newTranscriber(cfg config.Config) (pipeline.Transcriber, func(), error) {
	switch cfg.STT {
	case "pocketsphinx":
		// A decoder per call speaking at once, kept for reuse up to the
		// capacity: creating one costs a few hundred milliseconds.
		t, err := pocketsphinx.New(pocketsphinx.Config{DomainLM: cfg.STTLM, DomainWeight: cfg.STTLMWeight, Prewarm: 2, MaxIdle: cfg.MaxCalls})
		if err != nil {
			return nil, nil, err
		}
		return t, func() { t.Close() }, nil
	default:
		return newProviderTranscriber(cfg)
	}
}

// newVAD returns the calls' detector factory: Silero streams spread over a
// model (ONNX Runtime session) per CPU, so that calls do not queue behind
// one another for every window, or nil for the pipeline's energy detector.
func newVAD(cfg config.Config) (func() (vad.Detector, error), func(), error) {
	if cfg.VAD != "silero" {
		return nil, func() {}, nil
	}
	pool, err := silero.NewPool(0, silero.WithDir(cfg.ModelsDir))
	if err != nil {
		return nil, nil, err
	}
	return func() (vad.Detector, error) { return pool.NewStream() }, func() { _ = pool.Close() }, nil
}

// detectorHold returns how long the configured detector keeps reporting
// speech after the speaker stops.
func detectorHold(cfg config.Config) time.Duration {
	if cfg.VAD == "silero" {
		return pipeline.SileroHold
	}
	return 0
}

// newSynthesizer returns the default voice and the persona voices.
func newSynthesizer(cfg config.Config) (pipeline.Synthesizer, func(string) (pipeline.Synthesizer, error), error) {
	switch cfg.TTS {
	case "flite":
		e, err := flite.New(flite.Config{Voice: cfg.TTSVoice})
		if err != nil {
			return nil, nil, err
		}
		return e, func(v string) (pipeline.Synthesizer, error) { return e.ForVoice(v) }, nil
	case "espeak":
		e, err := espeak.New(espeak.Config{Voice: cfg.TTSVoice})
		if err != nil {
			return nil, nil, err
		}
		return e, func(v string) (pipeline.Synthesizer, error) { return e.ForVoice(v) }, nil
	default:
		return newProviderSynthesizer(cfg)
	}
}

// maxRequestBytes bounds one ConversationService request message.
const maxRequestBytes = 64 << 10

// cpuMeter measures the process's CPU use per core between calls.
type cpuMeter struct {
	last time.Time
	cpu  time.Duration
}

func newCPUMeter() *cpuMeter { return &cpuMeter{last: time.Now(), cpu: processCPU()} }

func (m *cpuMeter) load() float64 {
	now, cpu := time.Now(), processCPU()
	wall := now.Sub(m.last)
	used := cpu - m.cpu
	m.last, m.cpu = now, cpu
	if wall <= 0 {
		return 0
	}
	return used.Seconds() / wall.Seconds() / float64(runtime.NumCPU())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// buildVersion is the edge's version for heartbeats: the module version when
// built from a tagged module, else the VCS revision (with "+dirty" for a
// modified tree), else "" (unknown, as in go run of a tree without VCS).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, st := range bi.Settings {
		switch st.Key {
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}
