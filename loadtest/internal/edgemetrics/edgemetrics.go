// Package edgemetrics reads what an edge's Prometheus endpoint says of its
// process — CPU time and resident memory, from the Go client's process
// collector — so that the load tester can report what each call costs the
// edge, on any host, without access to the edge's /proc.
package edgemetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric names of the process collector.
const (
	cpuMetric = "process_cpu_seconds_total"
	rssMetric = "process_resident_memory_bytes"
)

// maxBody caps the metrics page read (an edge's is tens of kilobytes).
const maxBody = 8 << 20

// ErrNoProcess is returned for a metrics page without the process
// collector's CPU and memory.
var ErrNoProcess = errors.New("edgemetrics: no process_cpu_seconds_total and process_resident_memory_bytes")

// Process is one reading of an edge process.
type Process struct {
	// CPU is the process's user and system CPU time so far.
	CPU time.Duration
	// RSS is its resident memory, in bytes.
	RSS float64
	// At is when it was read.
	At time.Time
}

// Parse reads a metrics page in the Prometheus text format.
func Parse(r io.Reader) (Process, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(r, maxBody))
	if err != nil {
		return Process{}, fmt.Errorf("edgemetrics: parse: %w", err)
	}
	cpu, okCPU := value(fams[cpuMetric])
	rss, okRSS := value(fams[rssMetric])
	if !okCPU || !okRSS {
		return Process{}, ErrNoProcess
	}
	return Process{CPU: time.Duration(cpu * float64(time.Second)), RSS: rss}, nil
}

// value returns the family's single sample (counter or gauge).
func value(f *dto.MetricFamily) (float64, bool) {
	if f == nil || len(f.GetMetric()) != 1 {
		return 0, false
	}
	m := f.GetMetric()[0]
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

// Scrape reads edgeURL/metrics.
func Scrape(ctx context.Context, hc *http.Client, edgeURL string) (Process, error) {
	url := strings.TrimSuffix(edgeURL, "/") + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Process{}, fmt.Errorf("edgemetrics: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Process{}, fmt.Errorf("edgemetrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Process{}, fmt.Errorf("edgemetrics: %s: %s", url, resp.Status)
	}
	p, err := Parse(resp.Body)
	if err != nil {
		return Process{}, fmt.Errorf("%s: %w", url, err)
	}
	p.At = time.Now()
	return p, nil
}

// Cores returns the CPU cores the process used on average from a to b.
func Cores(a, b Process) float64 {
	dt := b.At.Sub(a.At)
	if dt <= 0 {
		return 0
	}
	return (b.CPU - a.CPU).Seconds() / dt.Seconds()
}
