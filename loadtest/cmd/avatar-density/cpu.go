package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// errProcStat is returned for a /proc/<pid>/stat this command cannot read.
var errProcStat = errors.New("bad /proc stat")

// cpuSource reads the edge process's CPU time.
type cpuSource struct {
	from string // how: "/proc/<pid>/stat" or "<edge>/metrics"
	read func(ctx context.Context) (time.Duration, error)
}

// edgeCPU reads the edge's CPU time from /proc when its process id is
// known (the edge runs on this host), else from its Prometheus metrics
// (process_cpu_seconds_total, which the Go client's process collector
// exports on every edge's /metrics): the same figure, at a coarser step.
func edgeCPU(hc *http.Client, o options) cpuSource {
	if o.edgePID > 0 {
		return cpuSource{
			from: fmt.Sprintf("/proc/%d/stat", o.edgePID),
			read: func(context.Context) (time.Duration, error) { return processCPU(o.edgePID) },
		}
	}
	return cpuSource{
		from: o.edgeURL + "/metrics",
		read: func(ctx context.Context) (time.Duration, error) { return metricsCPU(ctx, hc, o.edgeURL+"/metrics") },
	}
}

// processCPU returns the user+system CPU time of pid from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("edge CPU time: %w", err)
	}
	return parseProcStat(string(b))
}

// parseProcStat returns utime+stime of a /proc/<pid>/stat line.
func parseProcStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return 0, errProcStat
	}
	f := strings.Fields(s[i+2:])
	// Fields after the command: state(0) ... utime(11) stime(12).
	if len(f) < 13 {
		return 0, errProcStat
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%w: times %q %q", errProcStat, f[11], f[12])
	}
	const ticks = 100 // USER_HZ
	return time.Duration(ut+st) * time.Second / ticks, nil
}

// metricsCPU reads process_cpu_seconds_total from a Prometheus text
// exposition at url.
func metricsCPU(ctx context.Context, hc *http.Client, url string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("edge metrics: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("edge metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("edge metrics: %s", resp.Status)
	}
	return parseCPUMetric(resp.Body)
}

// parseCPUMetric finds process_cpu_seconds_total in a text exposition.
func parseCPUMetric(r io.Reader) (time.Duration, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || name != "process_cpu_seconds_total" {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return 0, fmt.Errorf("process_cpu_seconds_total %q: %w", value, err)
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	return 0, errors.New("edge metrics: no process_cpu_seconds_total")
}

// runQueueWait returns the time pid's threads have spent runnable but
// waiting for a CPU, summed over its live threads (/proc/<pid>/task/*/schedstat).
func runQueueWait(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
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

// fetchProfile saves the edge's pprof profile name (from its debug
// listener at addr) as dir/file.
func fetchProfile(ctx context.Context, hc *http.Client, addr, name, dir, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+name, nil)
	if err != nil {
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	// A CPU profile takes the whole window: no client timeout.
	resp, err := (&http.Client{Transport: hc.Transport}).Do(req)
	if err != nil {
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: %s", name, resp.Status)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("profile folder: %w", err)
	}
	out, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		_ = out.Close()
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("pprof %s: %w", name, err)
	}
	return nil
}
