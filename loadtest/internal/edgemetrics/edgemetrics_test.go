package edgemetrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatar-fi/avatar/loadtest/internal/edgemetrics"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		want    edgemetrics.Process
		wantErr bool
	}{
		{
			name: "process collector",
			page: "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n" +
				"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.048576e+08\n" +
				"# TYPE avatar_edge_active_calls gauge\navatar_edge_active_calls{region=\"us-east\"} 3\n",
			want: edgemetrics.Process{CPU: 12500 * time.Millisecond, RSS: 104857600},
		},
		{name: "no process metrics", page: "# TYPE up gauge\nup 1\n", wantErr: true},
		{name: "not the text format", page: "<html>oops</html>", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := edgemetrics.Parse(strings.NewReader(tt.page))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Parse = %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestScrape reads a real process collector's page, as an edge serves it,
// twice around some work, and checks the CPU time advanced.
func TestScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a, err := edgemetrics.Scrape(t.Context(), srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x++
	}
	b, err := edgemetrics.Scrape(t.Context(), srv.Client(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if a.RSS <= 0 || b.CPU <= a.CPU || edgemetrics.Cores(a, b) <= 0 {
		t.Errorf("readings %+v then %+v (%d spins): want memory and CPU time that advanced", a, b, x)
	}
	if _, err := edgemetrics.Scrape(t.Context(), srv.Client(), srv.URL+"/nothing-here"); err == nil {
		t.Error("scraped a 404")
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if _, err := edgemetrics.Scrape(t.Context(), srv.Client(), down.URL); err == nil || errors.Is(err, edgemetrics.ErrNoProcess) {
		t.Errorf("scrape of a closed server: %v, want a connection error", err)
	}
}
