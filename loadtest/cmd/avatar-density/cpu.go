package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"github.com/avatar-fi/avatar/loadtest/internal/edgemetrics"
)

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
		read: func(ctx context.Context) (time.Duration, error) {
			p, err := edgemetrics.Scrape(ctx, hc, o.edgeURL)
			return p.CPU, err
		},
	}
}

// processCPU returns the user and system CPU time of process pid so far.
func processCPU(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("edge CPU time: %w", err)
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("edge CPU time: %w", err)
	}
	return time.Duration(st.CPUTime() * float64(time.Second)), nil
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
