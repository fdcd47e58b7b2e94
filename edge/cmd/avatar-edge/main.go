// Command avatar-edge runs one edge: WebRTC voice calls with the turn-taking
// pipeline, signalling over HTTP (POST /v1/calls, ConversationService over
// Connect), health, readiness and Prometheus metrics, and heartbeats to
// NATS. Configuration comes from AVATAR_* variables (see internal/config);
// a bad value exits with status 2 and one line naming the variable. SIGTERM
// drains: no new calls, live ones may finish until AVATAR_SHUTDOWN_TIMEOUT.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/avatar-fi/avatar/edge/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "avatar-edge:", err)
		os.Exit(2)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("service", "avatar-edge", "region", cfg.Region)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("edge failed", "error", err.Error())
		fmt.Fprintln(os.Stderr, "avatar-edge:", err)
		os.Exit(1)
	}
}
