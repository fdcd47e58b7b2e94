package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/loadtest/trainee"
	"github.com/avatar-fi/avatar/media/speechset"
)

// options are the command's validated flags.
type options struct {
	trainee.SignIn
	edgeURL               string
	scenario              string
	edgePID               int
	debugAddr, profileDir string
	calls                 int
	duration, warmup      time.Duration
	replyTimeout          time.Duration
	maxResponse           time.Duration
	speech                []string
	split                 string
	only                  []string
	verbose               bool
}

// parseFlags reads and validates args.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("avatar-density", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.AddFlags(fs, getenv, "sign-in, scenarios")
	fs.StringVar(&o.edgeURL, "edge", "", "the edge measured, e.g. http://127.0.0.1:8090 (required)")
	fs.StringVar(&o.scenario, "scenario", "service contract", "role-play scenario whose customer answers every call: id or words of its title")
	fs.IntVar(&o.edgePID, "edge-pid", 0, "the edge's process id on this host: its CPU time and run-queue wait from /proc (0: CPU time from the edge's /metrics)")
	fs.StringVar(&o.debugAddr, "debug", "", "the edge's debug listener (AVATAR_EDGE_DEBUG_ADDR), for -profile")
	fs.StringVar(&o.profileDir, "profile", "", "write the edge's CPU, block, mutex and goroutine profiles of the window into this directory (needs -debug)")
	fs.IntVar(&o.calls, "calls", 8, "concurrent calls")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "measurement window")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "time after the last call connects before measuring")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", 10*time.Second, "a clip whose reply has not started this long after the speaker finished is unanswered")
	fs.DurationVar(&o.maxResponse, "max-response", 150*time.Millisecond, "a load is held when no clip heard is unanswered and the p95 of the turn gap less the end-of-turn wait is at most this")
	speechDirs := fs.String("speech", "../shared/data/speech,../shared/data/speech-more", "speech sets (WAV + transcripts.tsv), comma-separated")
	fs.StringVar(&o.split, "split", speechset.All, "clips to speak: all, tune (even positions of each set, sorted by name) or report (odd positions)")
	only := fs.String("only", "", "speak only the clips whose file names start with one of these comma-separated prefixes (e.g. mfa_ for the spontaneous ones)")
	fs.BoolVar(&o.verbose, "turns", false, "also list each clip's outcome, slowest first")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	errs = append(errs, o.Check()...)
	if o.edgeURL == "" {
		errs = append(errs, errors.New("-edge: required"))
	} else if err := trainee.CheckURL("-edge", o.edgeURL); err != nil {
		errs = append(errs, err)
	}
	o.edgeURL = strings.TrimRight(o.edgeURL, "/")
	if o.calls < 1 || o.calls > 1000 {
		errs = append(errs, fmt.Errorf("-calls %d: want 1 to 1000", o.calls))
	}
	if o.duration < time.Second {
		errs = append(errs, fmt.Errorf("-duration %v: want ≥ 1s", o.duration))
	}
	if o.warmup < 0 {
		errs = append(errs, fmt.Errorf("-warmup %v: want ≥ 0", o.warmup))
	}
	if o.replyTimeout < time.Second {
		errs = append(errs, fmt.Errorf("-reply-timeout %v: want ≥ 1s", o.replyTimeout))
	}
	if o.maxResponse <= 0 {
		errs = append(errs, fmt.Errorf("-max-response %v: want > 0", o.maxResponse))
	}
	if err := speechset.ValidPart(o.split); err != nil {
		errs = append(errs, fmt.Errorf("-split %q: %w", o.split, err))
	}
	if o.profileDir != "" && o.debugAddr == "" {
		errs = append(errs, errors.New("-profile needs -debug, the edge's AVATAR_EDGE_DEBUG_ADDR"))
	}
	if o.edgePID < 0 {
		errs = append(errs, fmt.Errorf("-edge-pid %d: want a process id", o.edgePID))
	}
	for _, d := range strings.Split(*speechDirs, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.speech = append(o.speech, d)
		}
	}
	if len(o.speech) == 0 {
		errs = append(errs, errors.New("-speech: give at least one folder"))
	}
	for _, p := range strings.Split(*only, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.only = append(o.only, p)
		}
	}
	return o, errors.Join(errs...)
}
