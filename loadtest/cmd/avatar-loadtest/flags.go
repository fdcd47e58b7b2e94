package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/loadtest/internal/relay"
	"github.com/avatar-fi/avatar/loadtest/trainee"
)

// regionFlag is one -region: a name, an optional edge URL and the network
// between the callers and that edge.
type regionFlag struct {
	name    string
	edgeURL string // "" asks the core (RegionService/PickEdge)
	imp     relay.Impairment
	impText string
}

// parseRegion reads NAME[=EDGE_URL][,delay=D,jitter=D,loss=P%].
func parseRegion(s string) (regionFlag, error) {
	head, settings, _ := strings.Cut(s, ",")
	name, edge, _ := strings.Cut(head, "=")
	name, edge = strings.TrimSpace(name), strings.TrimSpace(edge)
	if name == "" || strings.ContainsAny(name, " \t/") {
		return regionFlag{}, fmt.Errorf("-region %q: want NAME[=EDGE_URL][,delay=20ms,jitter=5ms,loss=0.1%%]", s)
	}
	if edge != "" {
		u, err := url.Parse(edge)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return regionFlag{}, fmt.Errorf("-region %q: edge URL %q is not http(s)://host[:port]", s, edge)
		}
		edge = strings.TrimRight(edge, "/")
	}
	imp, err := relay.ParseImpairment(settings)
	if err != nil {
		return regionFlag{}, fmt.Errorf("-region %q: %w", s, err)
	}
	r := regionFlag{name: name, edgeURL: edge, imp: imp}
	if imp != (relay.Impairment{}) {
		r.impText = imp.String()
	}
	return r, nil
}

// regionList collects repeated -region flags.
type regionList []regionFlag

func (l *regionList) String() string { return fmt.Sprint(len(*l), " regions") }

func (l *regionList) Set(s string) error {
	r, err := parseRegion(s)
	if err != nil {
		return err
	}
	for _, x := range *l {
		if x.name == r.name {
			return fmt.Errorf("-region %q given twice", r.name)
		}
	}
	*l = append(*l, r)
	return nil
}

// options are the command's validated flags.
type options struct {
	trainee.SignIn
	mode, scenario      string
	speech              string
	script, voice       string
	out                 string
	regions             regionList
	calls               int
	ramp, duration      time.Duration
	replyTimeout, think time.Duration
	seed                uint64
	quiet               bool

	sloP95, sloSetupP95     time.Duration
	maxFailed, maxPremature int
	minMOS                  float64
}

// parseFlags reads and validates args.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("avatar-loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.AddFlags(fs, getenv, "sign-in, scenarios, PickEdge")
	fs.Var(&o.regions, "region", "NAME[=EDGE_URL][,delay=20ms,jitter=5ms,loss=0.1%] (repeat per region); without a URL the core picks the region's edge")
	fs.IntVar(&o.calls, "calls", 2, "concurrent calls per region")
	fs.DurationVar(&o.ramp, "ramp", 5*time.Second, "each region's calls start evenly over this time")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long the calls keep speaking after the ramp")
	fs.StringVar(&o.mode, "mode", "role-play", "role-play (MODE_ROLE_PLAY) or coach (MODE_TRAINING)")
	fs.StringVar(&o.scenario, "scenario", "service contract", "role-play scenario: id or words of its title")
	fs.StringVar(&o.speech, "speech", "../shared/data/speech", "folder of WAV clips (16 or 48 kHz mono) the callers speak, with an optional transcripts.tsv")
	fs.StringVar(&o.script, "script", "", "a role-play script, one line a turn (# comments), spoken by Flite instead of the -speech clips; every caller says it from its first line, again from the top while the run lasts")
	fs.StringVar(&o.voice, "voice", "rms", "the Flite voice of -script: slt, rms, awb or kal")
	fs.StringVar(&o.out, "out", ".data/loadtest", "folder for report.json and report.html")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", 10*time.Second, "a turn whose reply has not started this long after the speaker finished is unanswered")
	fs.DurationVar(&o.think, "think", time.Second, "pause after a reply ends before the next clip")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the relays' random delays and losses")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	fs.DurationVar(&o.sloP95, "slo-p95", 0, "SLO: every region's client turn gap p95 at most this (0: not checked)")
	fs.DurationVar(&o.sloSetupP95, "slo-setup-p95", 0, "SLO: every region's call set-up p95 at most this (0: not checked)")
	fs.IntVar(&o.maxFailed, "max-failed", -1, "SLO: failures per region at most this (-1: not checked)")
	fs.IntVar(&o.maxPremature, "max-premature", -1, "SLO: premature replies per region at most this (-1: not checked)")
	fs.Float64Var(&o.minMOS, "min-mos", 0, "SLO: every region's mean MOS estimate at least this (0: not checked)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if len(o.regions) == 0 {
		errs = append(errs, errors.New("-region: give at least one"))
	}
	errs = append(errs, o.Check()...)
	if o.calls < 1 || o.calls > 1000 {
		errs = append(errs, fmt.Errorf("-calls %d: want 1 to 1000", o.calls))
	}
	if o.ramp < 0 {
		errs = append(errs, fmt.Errorf("-ramp %v: want ≥ 0", o.ramp))
	}
	if o.duration < time.Second {
		errs = append(errs, fmt.Errorf("-duration %v: want ≥ 1s", o.duration))
	}
	if o.mode != "role-play" && o.mode != "coach" {
		errs = append(errs, fmt.Errorf("-mode %q: want role-play or coach", o.mode))
	}
	if o.mode == "role-play" && strings.TrimSpace(o.scenario) == "" {
		errs = append(errs, errors.New("-scenario: required for role-play"))
	}
	if o.replyTimeout < time.Second {
		errs = append(errs, fmt.Errorf("-reply-timeout %v: want ≥ 1s", o.replyTimeout))
	}
	if o.think < 0 {
		errs = append(errs, fmt.Errorf("-think %v: want ≥ 0", o.think))
	}
	if o.sloP95 < 0 || o.sloSetupP95 < 0 {
		errs = append(errs, errors.New("-slo-p95 and -slo-setup-p95: want ≥ 0"))
	}
	if o.maxFailed < -1 || o.maxPremature < -1 {
		errs = append(errs, errors.New("-max-failed and -max-premature: want ≥ 0, or -1 for not checked"))
	}
	if o.minMOS < 0 || o.minMOS > 4.5 {
		errs = append(errs, fmt.Errorf("-min-mos %v: want 0 to 4.5", o.minMOS))
	}
	if o.voice != "slt" && o.voice != "rms" && o.voice != "awb" && o.voice != "kal" {
		errs = append(errs, fmt.Errorf("-voice %q: want slt, rms, awb or kal", o.voice))
	}
	if o.out == "" {
		errs = append(errs, errors.New("-out: required"))
	}
	return o, errors.Join(errs...)
}
