// Command avatarctl administers a running core from a terminal: it creates dealerships
// and users, issues API keys and lists users, over the public Connect API.
//
//	avatarctl [global flags] <command> [flags]
//
//	create-dealership -name "Alpha Motors"
//	create-user -dealership <id> -email a@b.com -role trainee|admin|super [-name "…"]   (password from AVATAR_NEW_PASSWORD or -password)
//	create-api-key -name ci -role trainee|admin|super|edge [-dealership <id>] [-expires 720h]
//	list-users [-dealership <id>]
//	list-dealerships
//
// Credentials: AVATAR_API_KEY, or AVATAR_EMAIL + AVATAR_PASSWORD (+ AVATAR_TOTP_CODE).
// The core is AVATAR_CORE_URL (default http://localhost:8080) or -core. Output is JSON.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
