package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "stat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		// utime 1234 + stime 566 ticks of 10 ms; the command has a space
		// and a parenthesis of its own.
		{name: "fixture", stat: string(fixture), want: 18 * time.Second},
		{name: "no command", stat: "4242 S 1 2 3", wantErr: true},
		{name: "short", stat: "4242 (x) S 1 2 3", wantErr: true},
		{name: "not numbers", stat: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.stat)
			if tt.wantErr {
				if !errors.Is(err, errProcStat) {
					t.Fatalf("err %v, want errProcStat", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestProcessCPUOfThisProcess(t *testing.T) {
	got, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn a little CPU: the figure must not go backwards and must move.
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= got {
		t.Errorf("CPU time %v then %v after 300 ms of spinning (%d loops)", got, after, x)
	}
}

func TestParseCPUMetric(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		text    string
		want    time.Duration
		wantErr bool
	}{
		{name: "fixture", text: string(fixture), want: 12340 * time.Millisecond},
		{name: "missing", text: "go_goroutines 5\n", wantErr: true},
		{name: "not a number", text: "process_cpu_seconds_total x\n", wantErr: true},
		{name: "a longer name is not it", text: "process_cpu_seconds_total_x 1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUMetric(strings.NewReader(tt.text))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
