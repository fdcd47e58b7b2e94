// Command avatar-edge-density measures what the edge spends per call and
// the turn gap callers see. It starts an edge in a child process (itself,
// with -serve) on loopback, dials -calls pion callers that each speak real
// recordings from the speech set in a loop (a clip; when the reply starts,
// a second of listening; then the next clip, over the rest of the reply),
// and after a warm-up reads the child's CPU time from
// /proc over -duration. It prints cores per active call and the turn gap
// p50/p95 with the median of each stage.
//
//	avatar-edge-density -calls 100 -engines fake -duration 60s
//	avatar-edge-density -calls 1 -engines embedded -duration 120s
//
// -engines fake swaps STT and TTS for in-process engines of negligible cost
// (internal/fakeengine); embedded uses PocketSphinx and eSpeak NG.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/avatar-fi/avatar/edge/internal/auth"
	"github.com/avatar-fi/avatar/edge/internal/caller"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	"github.com/avatar-fi/avatar/edge/internal/fakeengine"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/edge/internal/speechset"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

const issuer = "http://density.local"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "avatar-edge-density:", err)
		os.Exit(1)
	}
}

func run() error {
	serve := flag.Bool("serve", false, "run the edge (child process)")
	engines := flag.String("engines", "fake", "fake or embedded")
	vadName := flag.String("vad", "energy", "voice activity detector: energy or silero")
	modelsDir := flag.String("models", "/var/cache/avatar-dev/models", "directory of silero_vad.onnx and libonnxruntime.so.1 (-vad silero)")
	calls := flag.Int("calls", 100, "concurrent calls")
	duration := flag.Duration("duration", 60*time.Second, "measurement window")
	warmup := flag.Duration("warmup", 10*time.Second, "time after the last call connects before measuring")
	dir := flag.String("speech", speechset.SharedDir(), "speech set (WAV + transcripts.tsv)")
	verbose := flag.Bool("turns", false, "also list each turn's stages and transcript, slowest first")
	scenario := flag.String("scenario", "../core/internal/scenario/builtin/vsc-price-objection.json", "built-in scenario (JSON) whose role-play customer answers every call")
	flag.Parse()
	if *engines != "fake" && *engines != "embedded" {
		return fmt.Errorf("-engines %q, want fake or embedded", *engines)
	}
	if *serve {
		return serveEdge(*engines, *vadName, *modelsDir, *scenario)
	}
	return measure(*engines, *vadName, *modelsDir, *scenario, *calls, *duration, *warmup, *dir, *verbose)
}

// serveEdge runs an edge on loopback and prints "READY <url> <token>".
func serveEdge(engines, vadName, modelsDir, scenarioFile string) error {
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
	dlg, err := newDialogues(scenarioFile)
	if err != nil {
		return err
	}
	cfg := rtc.Config{Region: "density", LoopbackOnly: true, MaxCalls: 100000, Auth: verifier, Dialogues: dlg}
	if engines == "fake" {
		cfg.Transcriber, cfg.Synthesizer = fakeengine.Transcriber{Text: "hello there"}, fakeengine.Synthesizer{}
	} else {
		tr, err := pocketsphinx.New(pocketsphinx.Config{Prewarm: 2})
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
	if vadName == "silero" {
		model, err := silero.New(silero.WithDir(modelsDir))
		if err != nil {
			return err
		}
		defer model.Close()
		cfg.NewDetector = func() (vad.Detector, error) { return model.NewStream() }
		cfg.DetectorHold = pipeline.SileroHold
	}
	srv, err := rtc.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Printf("READY http://%s %s\n", ln.Addr(), token)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); stop() }()
	<-ctx.Done()
	return hs.Close()
}

// turnResult is one turn seen by a caller.
type turnResult struct {
	stages map[string]float64
	text   string // final transcript
}

func measure(engines, vadName, modelsDir, scenarioFile string, calls int, duration, warmup time.Duration, dir string, verbose bool) error {
	clips, err := speechset.Load(dir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, "-serve", "-engines", engines, "-vad", vadName, "-models", modelsDir, "-scenario", scenarioFile)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); _ = child.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("edge did not start: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "READY" {
		return fmt.Errorf("edge said %q", line)
	}
	url, token := f[1], f[2]

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api, err := caller.NewAPI()
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		callers [][]caller.Event
		wg      sync.WaitGroup
	)
	connected := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
			c, err := caller.Dial(dctx, api, url, token, caller.Options{SessionID: fmt.Sprintf("density-%d", i)})
			dcancel()
			connected <- err
			if err != nil {
				return
			}
			defer c.Close()
			defer func() {
				mu.Lock()
				callers = append(callers, c.Events())
				mu.Unlock()
			}()
			seen := 0
			for k := i; ctx.Err() == nil; k++ {
				clip := clips[k%len(clips)]
				c.Say(make([]int16, 6400))
				c.Say(clip.PCM)
				c.Say(make([]int16, 6400))
				// Wait for the reply to start, listen a second, then speak
				// again (over the rest of the reply: barge-in).
				wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
				_, idx, err := c.WaitEvent(wctx, seen, func(ev *conversationv1.CallEvent) bool {
					return ev.Type == callevent.TypeState && ev.State == callevent.StateSpeaking
				})
				wcancel()
				if ctx.Err() != nil {
					return
				}
				if err == nil {
					seen = idx + 1
				}
				if _, err := c.Drained(ctx); err != nil {
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
		time.Sleep(50 * time.Millisecond) // stagger call set-up
	}
	for range calls {
		if err := <-connected; err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("dial: %w", err)
		}
	}
	fmt.Printf("%d calls connected; warming up %v\n", calls, warmup)
	time.Sleep(warmup)
	cpu0, err := processCPU(child.Process.Pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	time.Sleep(duration)
	cpu1, err := processCPU(child.Process.Pid)
	if err != nil {
		return err
	}
	t1 := time.Now()
	wall := t1.Sub(t0)
	cancel()
	wg.Wait()
	// Every turn whose latency report arrived in the window and that got
	// reply audio (barged-in turns included: their stages end at the first
	// packet).
	var res []turnResult
	for _, evs := range callers {
		final := map[int32]string{}
		for _, ev := range evs {
			if ev.Type == callevent.TypeFinalTranscript {
				final[ev.Turn] = ev.Text
			}
			if ev.Type == callevent.TypeTurnLatency && ev.At.After(t0) && ev.At.Before(t1) {
				if _, ok := ev.Stages[callevent.StageTurnGap]; ok {
					res = append(res, turnResult{stages: ev.Stages, text: final[ev.Turn]})
				}
			}
		}
	}

	cores := (cpu1 - cpu0).Seconds() / wall.Seconds()
	fmt.Printf("engines=%s vad=%s calls=%d window=%.0fs edge_cpu=%.2fs cores=%.3f cores_per_call=%.4f\n",
		engines, vadName, calls, wall.Seconds(), (cpu1 - cpu0).Seconds(), cores, cores/float64(calls))
	fmt.Printf("turns=%d\n", len(res))
	for _, st := range callevent.Stages {
		var v []float64
		for _, r := range res {
			if x, ok := r.stages[st]; ok {
				v = append(v, x)
			}
		}
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		fmt.Printf("  %-13s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (n=%d)\n", st, quantile(v, 0.5), quantile(v, 0.95), v[len(v)-1], len(v))
	}
	if verbose {
		slices.SortFunc(res, func(a, b turnResult) int {
			return cmp.Compare(b.stages[callevent.StageTurnGap], a.stages[callevent.StageTurnGap])
		})
		for _, r := range res {
			fmt.Printf("  turn")
			for _, st := range callevent.Stages {
				fmt.Printf(" %s=%.1f", st, r.stages[st])
			}
			fmt.Printf(" text=%q\n", r.text)
		}
	}
	return nil
}

func quantile(sorted []float64, q float64) float64 {
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

// processCPU returns the user+system CPU time of pid from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(s[i+2:])
	// Fields after the command: state(0) ... utime(11) stime(12).
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad /proc stat times")
	}
	const ticks = 100 // USER_HZ
	return time.Duration(ut+st) * time.Second / ticks, nil
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
