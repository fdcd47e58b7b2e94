package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// Profiling rates of the debug listener: a blocking event of 100 µs or
// more is sampled, and one mutex contention event in 5.
const (
	debugBlockRate     = int(100 * time.Microsecond)
	debugMutexFraction = 5
)

// listenDebug binds the opt-in debug listener (AVATAR_EDGE_DEBUG_ADDR,
// loopback only, checked by config) and turns block and mutex profiling
// on. It returns a server to Serve on the listener; nil, nil when addr is
// empty.
func listenDebug(ctx context.Context, addr string) (*http.Server, net.Listener, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("debug listener %s: %w", addr, err)
	}
	runtime.SetBlockProfileRate(debugBlockRate)
	runtime.SetMutexProfileFraction(debugMutexFraction)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile of a long window must not be cut by a write timeout.
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, nil
}
