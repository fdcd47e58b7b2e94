// Command avatar-call holds a voice session with an edge from a terminal:
// it signs in to the core, starts a role-play (or coach) session on the
// edge, calls it over WebRTC, and speaks the trainee's turns — lines typed
// on standard input, spoken by Flite (voice rms), or WAV files given with
// -wav — while it prints what the edge's events channel reports: the
// customer's words as they play, the transcript the edge heard, each turn's
// latency and techniques, and at the end the scorecard.
//
//	AVATAR_EMAIL=trainee@demo-motors.test AVATAR_PASSWORD=avatar-demo-password \
//	  bin/avatar-call -scenario 'service contract'
//
// Credentials: AVATAR_EMAIL and AVATAR_PASSWORD; the core from
// AVATAR_CORE_URL (default http://localhost:8080), the edge from
// AVATAR_EDGE_URL (default http://localhost:8090). The media goes over
// loopback: run it on the edge's host.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/trainee"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/wav"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avatar-call:", err)
		os.Exit(1)
	}
}

func env(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, getenv func(string) string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("avatar-call", flag.ContinueOnError)
	coreURL := fs.String("core", env(getenv, "AVATAR_CORE_URL", "http://localhost:8080"), "core URL")
	edgeURL := fs.String("edge", env(getenv, "AVATAR_EDGE_URL", "http://localhost:8090"), "edge URL")
	mode := fs.String("mode", "role-play", "role-play or coach")
	scenario := fs.String("scenario", "", "scenario id or words of its title (role-play)")
	wavs := fs.String("wav", "", "comma-separated WAV files to speak, one turn each, instead of typed lines")
	verbose := fs.Bool("v", false, "print every event as it arrives")
	if err := fs.Parse(args); err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	token, err := trainee.Login(ctx, hc, *coreURL, getenv("AVATAR_EMAIL"), getenv("AVATAR_PASSWORD"))
	if err != nil {
		return err
	}
	req := &conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}
	if *mode == "role-play" {
		sc, err := trainee.FindScenario(ctx, hc, *coreURL, token, *scenario)
		if err != nil {
			return err
		}
		req = &conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}
		fmt.Fprintf(out, "# %s: %s\n", sc.GetTitle(), sc.GetPersona().GetName())
	}
	conv := conversationv1connect.NewConversationServiceClient(hc, *edgeURL)
	start, err := conv.StartSession(ctx, trainee.Authed(req, token))
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	sid := start.Msg.GetSessionId()
	api, err := caller.NewAPI()
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	call, err := caller.Dial(dctx, api, *edgeURL, token, caller.Options{SessionID: sid, HTTPClient: hc})
	cancel()
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	defer call.Close()
	fmt.Fprintln(out, "# connected; the customer speaks first in a role-play. Type a line (Flite speaks it), or /end.")
	p := &printer{c: call, out: out, verbose: *verbose}
	if err := p.untilListening(ctx); err != nil {
		return err
	}
	speak, err := newSpeaker()
	if err != nil {
		return err
	}
	turns, err := turnSource(*wavs, in, out)
	if err != nil {
		return err
	}
	for {
		pcm, ok, err := turns(ctx, speak)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		call.Say(make([]int16, 4000))
		call.Say(pcm)
		call.Say(make([]int16, 16000))
		if err := p.untilTurnDone(ctx); err != nil {
			return err
		}
	}
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer hcancel()
	_ = call.Hangup(hctx)
	end, err := conv.EndSession(hctx, trainee.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, token))
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if card := end.Msg.GetScorecard(); card != nil {
		fmt.Fprintf(out, "\n# scorecard: %.0f/100 — %s\n", card.GetOverallScore(), card.GetSummary())
		for _, it := range card.GetItems() {
			fmt.Fprintf(out, "  %-36s %4.1f / %-4.1f %s\n", it.GetCriterion(), it.GetScore(), it.GetMaxScore(), it.GetComment())
		}
	}
	return nil
}

// turnSource returns the trainee's turns: the WAV files, or lines read from
// in and spoken with Flite.
func turnSource(wavs string, in io.Reader, out io.Writer) (func(context.Context, *speaker) ([]int16, bool, error), error) {
	if wavs != "" {
		files := strings.Split(wavs, ",")
		return func(context.Context, *speaker) ([]int16, bool, error) {
			if len(files) == 0 {
				return nil, false, nil
			}
			f := strings.TrimSpace(files[0])
			files = files[1:]
			pcm, err := readWAV16k(f)
			if err != nil {
				return nil, false, err
			}
			fmt.Fprintf(out, "> [%s]\n", f)
			return pcm, true, nil
		}, nil
	}
	sc := bufio.NewScanner(in)
	return func(ctx context.Context, s *speaker) ([]int16, bool, error) {
		for {
			fmt.Fprint(out, "> ")
			if !sc.Scan() {
				return nil, false, sc.Err()
			}
			line := strings.TrimSpace(sc.Text())
			switch line {
			case "":
				continue
			case "/end":
				return nil, false, nil
			}
			pcm, err := s.say(ctx, line)
			return pcm, err == nil, err
		}
	}, nil
}

// printer shows the call's events as they arrive.
type printer struct {
	c       *caller.Caller
	out     io.Writer
	seen    int
	verbose bool
}

// until prints events until done says stop.
func (p *printer) until(ctx context.Context, done func(*conversationv1.CallEvent) bool) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ev, i, err := p.c.WaitEvent(ctx, p.seen, func(*conversationv1.CallEvent) bool { return true })
		if err != nil {
			return fmt.Errorf("waiting for the edge: %w", err)
		}
		p.seen = i + 1
		p.show(ev.CallEvent)
		if done(ev.CallEvent) {
			return nil
		}
	}
}

func (p *printer) untilListening(ctx context.Context) error {
	spoke := false
	return p.until(ctx, func(ev *conversationv1.CallEvent) bool {
		if ev.GetType() == callevent.TypeReplyText {
			spoke = true
		}
		return spoke && ev.GetType() == callevent.TypeState && ev.GetState() == callevent.StateListening
	})
}

// untilTurnDone prints the turn's events until its result has arrived and
// the reply has finished playing (the call is back to LISTENING), in
// whichever order the two come.
func (p *printer) untilTurnDone(ctx context.Context) error {
	result, replied, listening := false, false, false
	return p.until(ctx, func(ev *conversationv1.CallEvent) bool {
		switch ev.GetType() {
		case callevent.TypeTurnResult:
			result = true
		case callevent.TypeReplyText:
			replied, listening = true, false
		case callevent.TypeState:
			listening = ev.GetState() == callevent.StateListening
		}
		return result && replied && listening
	})
}

func (p *printer) show(ev *conversationv1.CallEvent) {
	if p.verbose {
		b, _ := callevent.Marshal(ev)
		fmt.Fprintf(p.out, "  event %s\n", b)
	}
	switch ev.GetType() {
	case callevent.TypeFinalTranscript:
		if c := ev.GetContinues(); c != 0 {
			fmt.Fprintf(p.out, "  (heard: %q, going on from turn %d)\n", ev.GetText(), c)
			break
		}
		fmt.Fprintf(p.out, "  (heard: %q)\n", ev.GetText())
	case callevent.TypeReplyText:
		fmt.Fprintf(p.out, "  customer: %s\n", ev.GetText())
	case callevent.TypeTurnLatency:
		fmt.Fprintf(p.out, "  (turn gap %.0f ms%s)\n", ev.GetStages()[callevent.StageTurnGap], map[bool]string{true: ", barged in"}[ev.GetBargeIn()])
	case callevent.TypeTurnResult:
		var names []string
		for _, x := range ev.GetTechniques() {
			names = append(names, strings.ToLower(strings.TrimPrefix(x.String(), "TECHNIQUE_")))
		}
		if len(names) > 0 {
			fmt.Fprintf(p.out, "  (techniques: %s)\n", strings.Join(names, ", "))
		}
		for _, c := range ev.GetCitations() {
			fmt.Fprintf(p.out, "  (source: %s)\n", c.GetTitle())
		}
		if o := ev.GetOutcome(); o != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
			fmt.Fprintf(p.out, "  (outcome: %s)\n", strings.ToLower(strings.TrimPrefix(o.String(), "OUTCOME_")))
		}
	}
}

// speaker turns typed lines into 16 kHz speech.
type speaker struct {
	synth *flite.Synthesizer
}

func newSpeaker() (*speaker, error) {
	e, err := flite.New(flite.Config{Voice: flite.VoiceRMS})
	if err != nil {
		return nil, fmt.Errorf("flite: %w", err)
	}
	s, err := e.ForVoice(flite.VoiceRMS)
	if err != nil {
		return nil, err
	}
	return &speaker{synth: s}, nil
}

func (s *speaker) say(ctx context.Context, text string) ([]int16, error) {
	down, err := resample.New(48000, 16000)
	if err != nil {
		return nil, err
	}
	var out []int16
	buf := make([]int16, 4096)
	err = s.synth.Synthesize(ctx, text, func(pcm []int16) error {
		for len(pcm) > 0 {
			n := min(len(pcm), 3*len(buf))
			k, err := down.Process(buf, pcm[:n])
			if err != nil {
				return err
			}
			out = append(out, buf[:k]...)
			pcm = pcm[n:]
		}
		return nil
	})
	return out, err
}

// readWAV16k reads a mono WAV file at 16 or 48 kHz as 16 kHz.
func readWAV16k(path string) ([]int16, error) {
	pcm, f, err := wav.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Channels != 1 {
		return nil, fmt.Errorf("%s: %d channels, want mono", path, f.Channels)
	}
	switch f.SampleRate {
	case 16000:
		return pcm, nil
	case 48000:
		down, err := resample.New(48000, 16000)
		if err != nil {
			return nil, err
		}
		out := make([]int16, down.OutLen(len(pcm)))
		n, err := down.Process(out, pcm)
		return out[:n], err
	}
	return nil, fmt.Errorf("%s: %d Hz, want 16000 or 48000", path, f.SampleRate)
}
