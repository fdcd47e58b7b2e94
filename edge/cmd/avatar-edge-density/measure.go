package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/speechset"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// clipOutcome is what became of one clip a caller said.
type clipOutcome struct {
	call  int
	clip  string
	end   time.Time     // when the clip's last voiced frame left the caller
	reply time.Time     // the first reply that started after end (zero: none)
	cut   bool          // a reply started before end: the edge cut in
	heard bool          // a turn of this clip started (USER_SPEAKING)
	gap   time.Duration // first reply packet received − end (0: not seen)
	trace string        // the call's events from the clip's start, for clips not answered cleanly
}

// result is one measurement.
type result struct {
	engines, vad  string
	calls, failed int // calls asked for, calls that failed to connect
	wall, cpu     time.Duration
	clips         []clipOutcome
	stages        map[string][]float64 // the edge's turn_latency stages, ms
	// response is each turn's gap less its endpoint stage, ms: what the
	// edge took to answer once it had decided the turn was over — the part
	// that grows when the edge cannot keep up.
	response []float64
	// runWait is how long the edge's threads waited, runnable, for a CPU
	// in the window (/proc schedstat): time the machine, not the edge,
	// held them back.
	runWait time.Duration
}

// measure runs one edge with calls callers and returns what they saw.
func measure(ctx context.Context, o options, calls int, clips []speechset.Clip) (*result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", "-engines", o.engines, "-vad", o.vad, "-models", o.models, "-scenario", o.scenario, "-stt-lm", o.lm}
	if o.profileDir != "" {
		args = append(args, "-pprof", "127.0.0.1:0")
	}
	child := exec.CommandContext(ctx, self, args...)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := child.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = stdin.Close(); _ = child.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("edge did not start: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "READY" {
		return nil, fmt.Errorf("edge said %q", line)
	}
	url, token, pprofAddr := f[1], f[2], f[3]

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	api, err := caller.NewAPI()
	if err != nil {
		return nil, err
	}
	voicedEnd := make(map[string]time.Duration, len(clips))
	for _, c := range clips {
		voicedEnd[c.Name] = caller.LastVoiced(c.PCM)
	}
	res := &result{engines: o.engines, vad: o.vad, calls: calls, stages: map[string][]float64{}}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		window  = make(chan struct{}) // closed when the window starts: t0 is set
		stopped = make(chan struct{}) // closed when the window ends: t1 is set
		t0, t1  time.Time
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
			outs, evs := speak(ctx, c, i, clips, voicedEnd, o.replyTimeout, stopped)
			select {
			case <-window:
			case <-ctx.Done():
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, oc := range outs {
				if oc.end.After(t0) && oc.end.Before(t1) {
					res.clips = append(res.clips, oc)
				}
			}
			for _, ev := range evs {
				if ev.Type == callevent.TypeTurnLatency && ev.At.After(t0) && ev.At.Before(t1) {
					if _, ok := ev.Stages[callevent.StageTurnGap]; !ok {
						continue
					}
					for st, ms := range ev.Stages {
						res.stages[st] = append(res.stages[st], ms)
					}
					res.response = append(res.response, ev.Stages[callevent.StageTurnGap]-ev.Stages[callevent.StageEndpoint])
				}
			}
		}()
		time.Sleep(50 * time.Millisecond) // stagger call set-up
	}
	for range calls {
		if err := <-connected; err != nil {
			res.failed++
			fmt.Fprintln(os.Stderr, "dial:", err)
		}
	}
	if res.failed == calls {
		cancel()
		wg.Wait()
		return nil, errors.New("no call connected")
	}
	fmt.Printf("%d of %d calls connected; warming up %v\n", calls-res.failed, calls, o.warmup)
	sleep(ctx, o.warmup)
	var cpuProfile chan error
	if o.profileDir != "" {
		cpuProfile = make(chan error, 1)
		go func() {
			cpuProfile <- fetch(ctx, pprofAddr, fmt.Sprintf("profile?seconds=%d", int(o.duration.Seconds())), filepath.Join(o.profileDir, fmt.Sprintf("cpu-%d.pprof", calls)))
		}()
	}
	cpu0, err := processCPU(child.Process.Pid)
	if err != nil {
		return nil, err
	}
	wait0 := runQueueWait(child.Process.Pid)
	t0 = time.Now()
	close(window)
	sleep(ctx, o.duration)
	cpu1, err := processCPU(child.Process.Pid)
	if err != nil {
		return nil, err
	}
	t1 = time.Now()
	close(stopped)
	res.wall, res.cpu = t1.Sub(t0), cpu1-cpu0
	res.runWait = runQueueWait(child.Process.Pid) - wait0
	if o.profileDir != "" {
		if err := <-cpuProfile; err != nil {
			return nil, err
		}
		for _, p := range []string{"block", "mutex", "goroutine"} {
			if err := fetch(ctx, pprofAddr, p, filepath.Join(o.profileDir, fmt.Sprintf("%s-%d.pprof", p, calls))); err != nil {
				return nil, err
			}
		}
	}
	// The callers finish the clip they are saying and wait for its reply.
	wg.Wait()
	return res, nil
}

// endTolerance is how far before the estimated end of a clip's speech a
// reply may start and still count as answering it.
const endTolerance = 150 * time.Millisecond

// speak says clips on c in a loop until stopped: the clip, then once its
// reply starts (or replyTimeout after the clip ends), a second of
// listening, and the next clip over the rest of the reply. It returns each
// clip's outcome and the call's events.
func speak(ctx context.Context, c *caller.Caller, i int, clips []speechset.Clip, voicedEnd map[string]time.Duration, replyTimeout time.Duration, stopped <-chan struct{}) ([]clipOutcome, []caller.Event) {
	var outs []clipOutcome
	lead := make([]int16, 6400) // 0.4 s of silence before each clip
	for k := i; ; k++ {
		select {
		case <-stopped:
			return outs, c.Events()
		case <-ctx.Done():
			return outs, c.Events()
		default:
		}
		clip := clips[k%len(clips)]
		mark := len(c.Events())
		_, _, spurts0 := c.Audio()
		c.Say(lead)
		c.Say(clip.PCM)
		sent, err := c.Drained(ctx)
		if err != nil {
			return outs, c.Events()
		}
		dur := time.Duration(len(clip.PCM)) * time.Second / 16000
		end := sent.Add(-dur + voicedEnd[clip.Name])
		oc := clipOutcome{call: i, clip: clip.Name, end: end}
		deadline := end.Add(replyTimeout)
		for oc.reply.IsZero() && time.Now().Before(deadline) && ctx.Err() == nil {
			// A reply that starts before the end of the speech, to a turn
			// of this clip (the reply to the previous one, or the opening,
			// may still be starting), cut the speaker off. The end is an
			// estimate from the clip's level (the last frame within 26 dB
			// of its loudest, which takes in a trailing fricative or
			// breath): within endTolerance of it counts as after.
			evs := c.Events()
			heard := false
			for _, ev := range evs[min(mark, len(evs)):] {
				if ev.Type != callevent.TypeState {
					continue
				}
				switch {
				case ev.State == callevent.StateUserSpeaking:
					heard, oc.heard = true, true
				case ev.State != callevent.StateSpeaking:
				case ev.At.Before(end.Add(-endTolerance)):
					oc.cut = oc.cut || heard
				case oc.reply.IsZero():
					oc.reply = ev.At
				}
			}
			if oc.reply.IsZero() {
				sleep(ctx, 20*time.Millisecond)
			}
		}
		if !oc.reply.IsZero() {
			sleep(ctx, 300*time.Millisecond) // the first packets arrive
			_, _, spurts := c.Audio()
			for _, s := range spurts[len(spurts0):] {
				if s.After(end) {
					oc.gap = s.Sub(end)
					break
				}
			}
		}
		if oc.reply.IsZero() || oc.cut {
			var b strings.Builder
			evs := c.Events()
			for _, ev := range evs[min(mark, len(evs)):] {
				what := ev.Type
				switch ev.Type {
				case callevent.TypeState:
					what = ev.State
				case callevent.TypePartialTranscript:
					continue
				case callevent.TypeFinalTranscript:
					what = fmt.Sprintf("final %q", ev.Text)
				}
				fmt.Fprintf(&b, " %+dms:%s", ev.At.Sub(end).Milliseconds(), what)
			}
			oc.trace = b.String()
		}
		outs = append(outs, oc)
		if !oc.reply.IsZero() {
			sleep(ctx, 700*time.Millisecond) // a second of the reply, then speak over it
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// runQueueWait returns the time pid's threads have spent runnable but
// waiting for a CPU, summed over its live threads (/proc/<pid>/task/*/schedstat).
func runQueueWait(pid int) time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err == nil {
			sum += time.Duration(ns)
		}
	}
	return sum
}

// fetch saves the child's pprof profile name into file.
func fetch(ctx context.Context, addr, name, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+name, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
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
