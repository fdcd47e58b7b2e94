// Command avatar-core is Avatar's central service: identity, knowledge, scenarios,
// analytics and regions over Connect, gRPC and gRPC-Web on one port. Configuration comes
// from AVATAR_* variables (see README.md).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/avatar-fi/avatar/core/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := app.Run(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
