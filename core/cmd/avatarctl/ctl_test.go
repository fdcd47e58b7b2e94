package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/identity"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/server"
)

// TestAvatarctl drives the CLI against a core (identity services over HTTP) on the real
// database: log in as the bootstrap super admin, create a dealership, an admin, and an
// API key, then act with that key.
func TestAvatarctl(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	rdb, prefix := redistest.New(t)
	id, err := identity.New(t.Context(), pool, rdb, identity.Config{
		Issuer: "http://core.test", Passwords: password.TestParams(), RedisPrefix: prefix,
		BootstrapEmail: "root@avatar.test", BootstrapPassword: "correct horse battery staple",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id.Mount(srv)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	env := map[string]string{"AVATAR_CORE_URL": ts.URL, "AVATAR_EMAIL": "root@avatar.test", "AVATAR_PASSWORD": "correct horse battery staple"}
	ctl := func(t *testing.T, wantCode int, args ...string) map[string]any {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if code != wantCode {
			t.Fatalf("avatarctl %v = %d, want %d; stderr: %s", args, code, wantCode, errOut.String())
		}
		var m map[string]any
		_ = json.Unmarshal(out.Bytes(), &m)
		return m
	}
	d := ctl(t, 0, "create-dealership", "-name", "Alpha Motors")["dealership"].(map[string]any)
	did := d["id"].(string)
	env["AVATAR_NEW_PASSWORD"] = "another long password"
	u := ctl(t, 0, "create-user", "-dealership", did, "-email", "admin@alpha.test", "-role", "admin")["user"].(map[string]any)
	if u["role"] != "ROLE_DEALERSHIP_ADMIN" || u["dealershipId"] != did {
		t.Fatalf("user = %v", u)
	}
	k := ctl(t, 0, "create-api-key", "-name", "ci", "-role", "admin", "-dealership", did, "-expires", "24h")
	secret := k["secret"].(string)
	if !strings.HasPrefix(secret, "ak_") {
		t.Fatalf("key = %v", k)
	}
	env = map[string]string{"AVATAR_CORE_URL": ts.URL, "AVATAR_API_KEY": secret}
	users := ctl(t, 0, "list-users")["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("users = %v", users)
	}
	ctl(t, 1, "create-dealership", "-name", "Not allowed")
	ctl(t, 2, "frobnicate")
	ctl(t, 2, "create-user", "-role", "wizard")
}
