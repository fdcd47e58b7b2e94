// Command avatar-edge-density measures how many calls an edge holds with its
// production engines, what each costs, and the turn gap callers see. It
// starts an edge in a child process (itself, with -serve) on loopback, with
// the engines avatar-edge runs by default (Silero VAD, PocketSphinx, Flite,
// the role-play customer of a built-in scenario), dials -calls pion callers
// that each speak real recordings in a loop (a clip; when the reply starts,
// a second of listening; then the next clip, over the rest of the reply),
// and after a warm-up reads the child's CPU time from /proc over -duration.
//
// For every clip spoken in the window it says whether the reply started
// after the speaker finished (answered), before (cut: the edge took a pause
// for the end of the turn), never within -reply-timeout (unanswered), or
// whether no turn started at all (not heard: the detector missed it). It
// prints cores per call, the turn gap percentiles (the edge's turn_gap
// stage, and the caller's own: first reply packet received less the end of
// the clip's last voiced frame sent), each stage's percentiles, and whether
// the load was held: every call connected, no clip heard left unanswered,
// and the p95 of the response (the turn gap less the end-of-turn wait: what
// grows when the edge cannot keep up) within -max-response.
//
//	avatar-edge-density -calls 8 -duration 60s
//	avatar-edge-density -calls 4,8,12,16 -duration 45s      # capacity: the largest count held
//	avatar-edge-density -calls 1 -split report -speech ../../shared/data/speech-more
//	avatar-edge-density -calls 100 -engines fake              # the edge's own cost, no engines
//
// -engines fake swaps STT and TTS for in-process engines of negligible cost
// (internal/fakeengine), to measure what the edge itself spends per call.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/speechset"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "avatar-edge-density:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	engines, vad, models, scenario string
	pprof                          string
	calls                          []int
	duration, warmup               time.Duration
	replyTimeout                   time.Duration
	maxResponse                    time.Duration
	speech                         []string
	split                          string
	only                           []string
	profileDir                     string
	verbose                        bool
	lm                             string
}

func run(ctx context.Context) error {
	var o options
	serve := flag.Bool("serve", false, "run the edge (child process)")
	flag.StringVar(&o.engines, "engines", "embedded", "embedded (the production defaults: PocketSphinx, Flite) or fake (engines of negligible cost)")
	flag.StringVar(&o.vad, "vad", "silero", "voice activity detector: silero (the production default) or energy")
	flag.StringVar(&o.models, "models", "/var/cache/avatar-dev/models", "directory of silero_vad.onnx and libonnxruntime.so.1")
	flag.StringVar(&o.scenario, "scenario", "../core/internal/scenario/builtin/vsc-price-objection.json", "built-in scenario (JSON) whose role-play customer answers every call")
	flag.StringVar(&o.lm, "stt-lm", os.Getenv("AVATAR_STT_LM"), "domain language model for PocketSphinx (as AVATAR_STT_LM)")
	calls := flag.String("calls", "8", "concurrent calls; a comma-separated list runs each count in turn with a fresh edge and reports the largest held")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "measurement window")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "time after the last call connects before measuring")
	flag.DurationVar(&o.replyTimeout, "reply-timeout", 10*time.Second, "a clip whose reply has not started this long after the speaker finished is unanswered")
	flag.DurationVar(&o.maxResponse, "max-response", 150*time.Millisecond, "a load is held when no clip heard is unanswered and the p95 of the turn gap less the end-of-turn wait is at most this")
	speech := flag.String("speech", speechset.SharedDir()+","+speechset.MoreDir(), "speech sets (WAV + transcripts.tsv), comma-separated")
	flag.StringVar(&o.split, "split", speechset.All, "clips to speak: all, tune (even positions of each set, sorted by name) or report (odd positions)")
	only := flag.String("only", "", "speak only the clips whose file names start with one of these comma-separated prefixes (e.g. mfa_ for the spontaneous ones)")
	flag.StringVar(&o.pprof, "pprof", "", "(child) serve net/http/pprof here, with block and mutex profiling on")
	flag.StringVar(&o.profileDir, "profile", "", "write the edge's CPU, block, mutex and goroutine profiles of the window into this directory")
	flag.BoolVar(&o.verbose, "turns", false, "also list each clip's outcome, slowest first")
	flag.Parse()
	if o.engines != "fake" && o.engines != "embedded" {
		return fmt.Errorf("-engines %q, want embedded or fake", o.engines)
	}
	if o.vad != "silero" && o.vad != "energy" {
		return fmt.Errorf("-vad %q, want silero or energy", o.vad)
	}
	if *serve {
		return serveEdge(ctx, o)
	}
	for _, f := range strings.Split(*calls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-calls %q: want positive counts", *calls)
		}
		o.calls = append(o.calls, n)
	}
	o.speech = strings.Split(*speech, ",")
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	clips, err := loadClips(o.speech, o.split, o.only)
	if err != nil {
		return err
	}
	held := 0
	for _, n := range o.calls {
		r, err := measure(ctx, o, n, clips)
		if err != nil {
			return fmt.Errorf("%d calls: %w", n, err)
		}
		r.print(os.Stdout, o)
		if r.held(o.maxResponse) {
			held = max(held, n)
		}
	}
	if len(o.calls) > 1 {
		fmt.Printf("capacity=%d (the largest count held: every call connected, no clip heard left unanswered, response p95 <= %v)\n", held, o.maxResponse)
	}
	return nil
}

// loadClips reads the speech sets and keeps the split's clips of each.
func loadClips(dirs []string, split string, only []string) ([]speechset.Clip, error) {
	var out []speechset.Clip
	for _, d := range dirs {
		clips, err := speechset.Load(d)
		if err != nil {
			return nil, err
		}
		part, err := speechset.Split(clips, split)
		if err != nil {
			return nil, err
		}
		for _, c := range part {
			if len(only) == 0 || slices.ContainsFunc(only, func(p string) bool { return strings.HasPrefix(c.Name, p) }) {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no clips in %s", strings.Join(dirs, ", "))
	}
	return out, nil
}
