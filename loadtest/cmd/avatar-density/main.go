// Command avatar-density measures what a running edge spends per call and
// whether it holds a number of calls: it signs -calls callers in to the
// core (each as its own trainee with -accounts), starts a role-play session
// for each on the edge, calls it over real WebRTC (loadtest/caller), and
// has every caller speak recorded clips in a loop — a clip; when the reply
// starts, a second of listening; then the next clip, over the rest of the
// reply. After -warmup it measures the edge process over -duration: its
// CPU time (/proc/<pid>/stat with -edge-pid, else the edge's Prometheus
// process_cpu_seconds_total), and with -profile its CPU, block, mutex and
// goroutine profiles (through the edge's AVATAR_EDGE_DEBUG_ADDR listener,
// -debug).
//
// For every clip spoken in the window it says whether the reply started
// after the speaker finished (answered), before (cut: the edge took a pause
// for the end of the turn), never within -reply-timeout (unanswered), or
// whether no turn started at all (not heard: the detector missed it). It
// prints cores per call, the turn gap percentiles (the caller's: first
// reply packet received less the end of the clip's last voiced frame sent;
// and "heard": to the first packet whose audio is at caller.HeardLevel,
// when the trainee starts to hear the reply),
// each of the edge's stages (its turn_latency events), and whether the load
// was held: every call connected, no clip heard left unanswered, and the
// p95 of the response (the turn gap less the end-of-turn wait: what grows
// when the edge cannot keep up) within -max-response.
//
// One run measures one count of calls on one edge. loadtest/density.sh
// starts a core and, for each count of a list, a fresh avatar-edge with
// its production defaults, runs this command against it and reports the
// largest count held (make edge-density, turn-gap, capacity):
//
//	avatar-density -core http://127.0.0.1:18180 -edge http://127.0.0.1:18190 \
//	  -edge-pid 4242 -calls 8 -email 'density-%d@demo-motors.test' -accounts 8
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avatar-density:", err)
		os.Exit(1)
	}
}
