// Command avatar-loadtest puts synthetic voice calls on the edges of one or
// more regions and reports, per region, how fast a turn is and how calls
// fare. Each caller signs in to the core (AuthService/Login), finds its
// edge (the one given, or RegionService/PickEdge for the region), starts a
// role-play (or coach) session on it, calls it over real WebRTC (pion,
// loadtest/caller) and speaks recorded clips in real time, one a turn,
// waiting for each reply to finish before the next.
//
//	avatar-loadtest -core http://127.0.0.1:8080 \
//	  -region 'us-east=http://127.0.0.1:8090,delay=20ms,jitter=5ms,loss=0.1%' \
//	  -region 'eu-central,delay=110ms,jitter=25ms,loss=1%' \
//	  -calls 4 -ramp 10s -duration 60s -slo-p95 450ms -max-failed 0
//
// With -script FILE the callers speak a role-play instead of recordings:
// each line of FILE is one turn, spoken by Flite (internal/flite, the
// engine the edge embeds; -voice, default rms) at the 16 kHz the caller
// sends, and every caller starts at the first line (testdata/vsc-roleplay.txt
// is the trainee's side of the built-in service-contract scenario).
//
// A region with network settings is called through a UDP impairment relay
// (internal/relay) on real sockets: its media, ICE checks and DTLS included,
// are delayed and dropped as the settings say, each way.
//
// Per turn it measures the client turn gap (the end of the clip's voiced
// audio sent to the first reply audio received), the edge's stages from the
// `events` channel's turn_latency, and whether the reply came before the
// speaker had finished (premature). Per call: set-up time (Dial to
// connected), RTCP round-trip time, loss and jitter both ways, and an
// E-model MOS estimate (internal/emodel). Per edge: what its calls cost
// it — the process's CPU per call while they are all live, and its memory
// grown per call — from the edge's own metrics (internal/edgemetrics).
// Failures are counted by kind: setup, full (503), rate_limited (429),
// no_reply, transport.
//
// A progress line goes to stderr every second; at the end a table per
// region to stdout, and report.json and report.html into -out. Exit status
// 1 for an error, 2 when an SLO given by flags was missed.
//
// Credentials: -email / -password (AVATAR_EMAIL, AVATAR_PASSWORD; default
// the demo trainee), one sign-in shared by every caller; or, with
// -accounts N, -email is a pattern such as caller-%d@demo-motors.test and
// each caller signs in as its own of the N accounts (loadtest/stack.sh
// seeds them), so that sessions and per-user rate limits are per caller as
// in production. Sign-ins are paced within the core's login limits (10 a
// minute per account, 30 per client IP): see trainee.Accounts.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// errSLO is returned by run when the results miss an SLO.
var errSLO = errors.New("SLO missed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errSLO):
		fmt.Fprintln(os.Stderr, "avatar-loadtest:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "avatar-loadtest:", err)
		os.Exit(1)
	}
}
