package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/avatar-fi/avatar/loadtest/internal/edgemetrics"
	"github.com/avatar-fi/avatar/loadtest/internal/report"
)

// settle is how long after the last call of the ramp is placed the edges'
// CPU window opens: its set-up (ICE, DTLS, the session) is done by then.
const settle = 3 * time.Second

// edgeMeter reads each edge's process metrics (edgemetrics): before its
// first call, once every call of the run is live, and when no new clip
// starts any more. The CPU between the last two, and the memory grown
// since the first, per call placed on the edge, are what a call costs it.
type edgeMeter struct {
	hc     *http.Client
	stderr io.Writer

	mu    sync.Mutex
	edges map[string]*edgeReadings
	order []string
}

// edgeReadings are one edge's readings; a nil reading was not taken or
// failed.
type edgeReadings struct {
	once              sync.Once
	calls             int
	before, live, end *edgemetrics.Process
}

func newEdgeMeter(hc *http.Client, stderr io.Writer) *edgeMeter {
	return &edgeMeter{hc: hc, stderr: stderr, edges: map[string]*edgeReadings{}}
}

// placed counts a call placed on edge; the edge's first call reads its
// metrics before going on, so that the reading precedes the call.
func (m *edgeMeter) placed(ctx context.Context, edge string) {
	m.mu.Lock()
	e, ok := m.edges[edge]
	if !ok {
		e = &edgeReadings{}
		m.edges[edge] = e
		m.order = append(m.order, edge)
	}
	e.calls++
	m.mu.Unlock()
	e.once.Do(func() {
		p := m.scrape(ctx, edge)
		m.mu.Lock()
		e.before = p
		m.mu.Unlock()
	})
}

// readAll reads every edge seen so far into the reading pick selects.
func (m *edgeMeter) readAll(ctx context.Context, pick func(*edgeReadings) **edgemetrics.Process) {
	m.mu.Lock()
	edges := append([]string(nil), m.order...)
	m.mu.Unlock()
	for _, edge := range edges {
		p := m.scrape(ctx, edge)
		m.mu.Lock()
		*pick(m.edges[edge]) = p
		m.mu.Unlock()
	}
}

// scrape reads edge's metrics, or says why not and returns nil.
func (m *edgeMeter) scrape(ctx context.Context, edge string) *edgemetrics.Process {
	p, err := edgemetrics.Scrape(ctx, m.hc, edge)
	if err != nil {
		fmt.Fprintf(m.stderr, "edge cost of %s not measured: %v\n", edge, err)
		return nil
	}
	return &p
}

// run takes the live reading at live and the last one at end, unless ctx
// ends first.
func (m *edgeMeter) run(ctx context.Context, live, end time.Time) {
	if !live.Before(end) {
		fmt.Fprintf(m.stderr, "edge cost not measured: the run ends %v after the ramp, within the %v it takes calls to settle\n", end.Sub(live.Add(-settle)), settle)
		return
	}
	if !sleep(ctx, time.Until(live)) {
		return
	}
	m.readAll(ctx, func(e *edgeReadings) **edgemetrics.Process { return &e.live })
	if !sleep(ctx, time.Until(end)) {
		return
	}
	m.readAll(ctx, func(e *edgeReadings) **edgemetrics.Process { return &e.end })
}

// load returns what its calls cost edge, or nil when it was not measured.
func (m *edgeMeter) load(edge string) *report.EdgeLoad {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.edges[edge]
	if !ok || e.calls == 0 || e.live == nil || e.end == nil {
		return nil
	}
	const mib = 1 << 20
	cores := edgemetrics.Cores(*e.live, *e.end)
	l := &report.EdgeLoad{Calls: e.calls, Cores: cores, CoresPerCall: cores / float64(e.calls),
		RSSMB: e.end.RSS / mib, WindowS: e.end.At.Sub(e.live.At).Seconds()}
	if e.before != nil {
		l.RSSMBPerCall = (e.end.RSS - e.before.RSS) / mib / float64(e.calls)
	}
	return l
}
