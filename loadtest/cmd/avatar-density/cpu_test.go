package main

import (
	"os"
	"testing"
	"time"
)

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
