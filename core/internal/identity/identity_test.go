package identity_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"

	"github.com/avatar-fi/avatar/core/internal/auth"
	"github.com/avatar-fi/avatar/core/internal/identity"
	"github.com/avatar-fi/avatar/core/internal/lockout"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// TestRefreshReuseRevokesFamily: rotating works, and replaying a used refresh token
// revokes the family, so even the newest token stops working. Logout revokes too.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := t.Context()
			ac := b.auth(p.opts...)
			r1 := b.login(superEmail, goodPass)
			if r1.ExpiresIn != 900 || r1.AccessToken == "" || !strings.HasPrefix(r1.RefreshToken, "rt_") {
				t.Fatalf("login = %+v", r1)
			}
			r2, err := ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: r1.RefreshToken}, ""))
			if err != nil {
				t.Fatal(err)
			}
			r3, err := ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: r2.Msg.RefreshToken}, ""))
			if err != nil {
				t.Fatal(err)
			}
			// r1 again: theft detected.
			_, err = ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: r1.RefreshToken}, ""))
			wantCode(t, err, connect.CodeUnauthenticated)
			// The newest token of the family is dead too.
			_, err = ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: r3.Msg.RefreshToken}, ""))
			wantCode(t, err, connect.CodeUnauthenticated)
			// Another sign-in's family is untouched.
			other := b.login(superEmail, goodPass)
			if _, err := ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: other.RefreshToken}, "")); err != nil {
				t.Fatalf("other family: %v", err)
			}
			// Logout revokes.
			l := b.login(superEmail, goodPass)
			if _, err := ac.Logout(ctx, req(&authv1.LogoutRequest{RefreshToken: l.RefreshToken}, "")); err != nil {
				t.Fatal(err)
			}
			_, err = ac.Refresh(ctx, req(&authv1.RefreshRequest{RefreshToken: l.RefreshToken}, ""))
			wantCode(t, err, connect.CodeUnauthenticated)
		})
	}
}

func TestRefreshAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.login(superEmail, goodPass)
	b.clock.Add(31 * 24 * time.Hour)
	_, err := b.auth().Refresh(t.Context(), req(&authv1.RefreshRequest{RefreshToken: r.RefreshToken}, ""))
	wantCode(t, err, connect.CodeUnauthenticated)
}

// TestLoginFailuresLookAlike: a wrong password and an unknown email get the same answer.
func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, e1 := b.auth().Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: "wrong password here"}, ""))
	_, e2 := b.auth().Login(t.Context(), req(&authv1.LoginRequest{Email: "nobody@avatar.test", Password: "wrong password here"}, ""))
	wantCode(t, e1, connect.CodeUnauthenticated)
	if e1.Error() != e2.Error() || reason(e1) != reason(e2) {
		t.Fatalf("answers differ: %v / %v", e1, e2)
	}
}

// TestTraineeCannotCallAdmin: role enforcement from the policy table, over both protocols.
func TestTraineeCannotCallAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	did := b.dealership("Alpha Motors")
	b.user(b.superToken(), did, "trainee@alpha.test", orgv1.Role_ROLE_TRAINEE)
	tok := b.login("trainee@alpha.test", goodPass).AccessToken
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := t.Context()
			oc := b.org(p.opts...)
			_, err := oc.CreateUser(ctx, req(&orgv1.CreateUserRequest{Email: "x@alpha.test", Password: goodPass, Role: orgv1.Role_ROLE_TRAINEE}, tok))
			wantCode(t, err, connect.CodePermissionDenied)
			_, err = oc.ListUsers(ctx, req(&orgv1.ListUsersRequest{}, tok))
			wantCode(t, err, connect.CodePermissionDenied)
			_, err = oc.ListAuditEvents(ctx, req(&orgv1.ListAuditEventsRequest{}, tok))
			wantCode(t, err, connect.CodePermissionDenied)
			_, err = oc.CreateDealership(ctx, req(&orgv1.CreateDealershipRequest{Name: "Mine"}, tok))
			wantCode(t, err, connect.CodePermissionDenied)
			_, err = b.auth(p.opts...).CreateApiKey(ctx, req(&authv1.CreateApiKeyRequest{Name: "k", Role: orgv1.Role_ROLE_TRAINEE}, tok))
			wantCode(t, err, connect.CodePermissionDenied)
			me, err := oc.GetMe(ctx, req(&orgv1.GetMeRequest{}, tok))
			if err != nil || me.Msg.User.Email != "trainee@alpha.test" || me.Msg.User.Role != orgv1.Role_ROLE_TRAINEE {
				t.Fatalf("GetMe = %v, %v", me, err)
			}
			// No token, a garbage token: Unauthenticated.
			_, err = oc.GetMe(ctx, req(&orgv1.GetMeRequest{}, ""))
			wantCode(t, err, connect.CodeUnauthenticated)
			_, err = oc.GetMe(ctx, req(&orgv1.GetMeRequest{}, "eyJhbGciOiJub25lIn0.e30."))
			wantCode(t, err, connect.CodeUnauthenticated)
		})
	}
}

// TestTenantIsolation: dealership A's admin gets NotFound for everything of B.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	su := b.superToken()
	a, bb := b.dealership("Alpha Motors"), b.dealership("Bravo Cars")
	b.user(su, a, "admin@alpha.test", orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	bUser := b.user(su, bb, "trainee@bravo.test", orgv1.Role_ROLE_TRAINEE)
	tok := b.login("admin@alpha.test", goodPass).AccessToken
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := t.Context()
			oc := b.org(p.opts...)
			_, err := oc.GetUser(ctx, req(&orgv1.GetUserRequest{Id: bUser.Id}, tok))
			wantCode(t, err, connect.CodeNotFound)
			_, err = oc.ListUsers(ctx, req(&orgv1.ListUsersRequest{DealershipId: bb}, tok))
			wantCode(t, err, connect.CodeNotFound)
			name := "hijacked"
			_, err = oc.UpdateUser(ctx, req(&orgv1.UpdateUserRequest{Id: bUser.Id, DisplayName: &name}, tok))
			wantCode(t, err, connect.CodeNotFound)
			_, err = oc.DeactivateUser(ctx, req(&orgv1.DeactivateUserRequest{Id: bUser.Id}, tok))
			wantCode(t, err, connect.CodeNotFound)
			_, err = oc.CreateUser(ctx, req(&orgv1.CreateUserRequest{DealershipId: bb, Email: "mole@bravo.test", Password: goodPass, Role: orgv1.Role_ROLE_TRAINEE}, tok))
			wantCode(t, err, connect.CodeNotFound)
			_, err = b.auth(p.opts...).CreateApiKey(ctx, req(&authv1.CreateApiKeyRequest{Name: "k", Role: orgv1.Role_ROLE_TRAINEE, DealershipId: bb}, tok))
			wantCode(t, err, connect.CodeNotFound)
			// Own dealership: sees only own users.
			list, err := oc.ListUsers(ctx, req(&orgv1.ListUsersRequest{}, tok))
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range list.Msg.Users {
				if u.DealershipId != a {
					t.Fatalf("listed %s of dealership %s", u.Email, u.DealershipId)
				}
			}
			ds, err := oc.ListDealerships(ctx, req(&orgv1.ListDealershipsRequest{}, tok))
			if err != nil || len(ds.Msg.Dealerships) != 1 || ds.Msg.Dealerships[0].Id != a {
				t.Fatalf("ListDealerships = %v %v", ds, err)
			}
		})
	}
}

// TestRowLevelSecurity: a query that forgets its dealership filter still cannot read
// or write across tenants inside store.InTenant.
func TestRowLevelSecurity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	su := b.superToken()
	a, bb := b.dealership("Alpha Motors"), b.dealership("Bravo Cars")
	b.user(su, a, "t1@alpha.test", orgv1.Role_ROLE_TRAINEE)
	b.user(su, a, "t2@alpha.test", orgv1.Role_ROLE_TRAINEE)
	bUser := b.user(su, bb, "t1@bravo.test", orgv1.Role_ROLE_TRAINEE)
	ctx := t.Context()
	if _, err := b.pool.Exec(ctx, `INSERT INTO api_keys (dealership_id, name, role, secret_hash, created_by) VALUES ($1, 'b', 'ROLE_TRAINEE', '\x00', 'x')`, bb); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		args  []any
		want  int
	}{
		{name: "users without filter", query: "SELECT count(*) FROM users", want: 2},
		{name: "users by B's id", query: "SELECT count(*) FROM users WHERE id = $1", args: []any{bUser.Id}, want: 0},
		{name: "users by B's dealership", query: "SELECT count(*) FROM users WHERE dealership_id = $1", args: []any{bb}, want: 0},
		{name: "api keys without filter", query: "SELECT count(*) FROM api_keys", want: 0},
		{name: "audit without filter", query: "SELECT count(*) FROM audit_events WHERE dealership_id IS DISTINCT FROM $1", args: []any{a}, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			err := store.InTenant(ctx, b.pool, a, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, tc.query, tc.args...).Scan(&n)
			})
			if err != nil || n != tc.want {
				t.Fatalf("count = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	t.Run("update across tenants touches nothing", func(t *testing.T) {
		var affected int64
		err := store.InTenant(ctx, b.pool, a, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, "UPDATE users SET display_name = 'x' WHERE id = $1", bUser.Id)
			affected = tag.RowsAffected()
			return err
		})
		if err != nil || affected != 0 {
			t.Fatalf("affected %d, %v", affected, err)
		}
	})
	t.Run("insert into another tenant fails", func(t *testing.T) {
		err := store.InTenant(ctx, b.pool, a, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO users (dealership_id, email, password_hash, role) VALUES ($1, 'x@bravo.test', 'h', 'ROLE_TRAINEE')", bb)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Fatalf("insert = %v", err)
		}
	})
}

// TestTOTPCodeWorksOnce: enrol, confirm, then a login code is accepted once; recovery
// codes work once each.
func TestTOTPCodeWorksOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	tok := b.superToken()
	ac := b.auth()
	en, err := ac.EnrollTotp(ctx, req(&authv1.EnrollTotpRequest{}, tok))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.Msg.OtpauthUrl, "otpauth://totp/") || len(en.Msg.QrPng) < 100 || string(en.Msg.QrPng[1:4]) != "PNG" {
		t.Fatalf("enroll = %s, %d bytes png", en.Msg.OtpauthUrl, len(en.Msg.QrPng))
	}
	// The secret is encrypted at rest.
	var stored []byte
	if err := b.pool.QueryRow(ctx, "SELECT totp_secret FROM users WHERE email = $1", superEmail).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), en.Msg.Secret) || !strings.HasPrefix(string(stored), "v1:") {
		t.Fatalf("secret stored in clear: %q", stored)
	}
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCode(en.Msg.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	_, err = ac.ConfirmTotp(ctx, req(&authv1.ConfirmTotpRequest{Code: "000000"}, tok))
	wantCode(t, err, connect.CodeInvalidArgument)
	conf, err := ac.ConfirmTotp(ctx, req(&authv1.ConfirmTotpRequest{Code: codeAt(b.clock.Now())}, tok))
	if err != nil {
		t.Fatal(err)
	}
	if len(conf.Msg.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes = %v", conf.Msg.RecoveryCodes)
	}
	// Password alone is no longer enough.
	_, err = ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass}, ""))
	if code(err) != connect.CodeUnauthenticated || reason(err) != auth.ReasonTOTPRequired {
		t.Fatalf("login without code = %v", err)
	}
	b.clock.Add(30 * time.Second)
	c := codeAt(b.clock.Now())
	if _, err := ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass, TotpCode: c}, "")); err != nil {
		t.Fatalf("login with code: %v", err)
	}
	// The same code again is a replay.
	_, err = ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass, TotpCode: c}, ""))
	wantCode(t, err, connect.CodeUnauthenticated)
	// An older code (previous step, still in the window) is refused too.
	_, err = ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass, TotpCode: codeAt(b.clock.Now().Add(-30 * time.Second))}, ""))
	wantCode(t, err, connect.CodeUnauthenticated)
	// A recovery code works once.
	rc := conf.Msg.RecoveryCodes[3]
	if _, err := ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass, RecoveryCode: rc}, "")); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	_, err = ac.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass, RecoveryCode: rc}, ""))
	wantCode(t, err, connect.CodeUnauthenticated)
	// Disable with a fresh code; then the password suffices again.
	b.clock.Add(30 * time.Second)
	if _, err := ac.DisableTotp(ctx, req(&authv1.DisableTotpRequest{Code: codeAt(b.clock.Now())}, tok)); err != nil {
		t.Fatal(err)
	}
	b.login(superEmail, goodPass)
}

// TestTwoServersShareRateLimit: two core instances on one Redis share the login budget.
func TestTwoServersShareRateLimit(t *testing.T) {
	t.Parallel()
	pool := setup(t).pool // migrated database with the super admin
	rdb, prefix := redistestNew(t)
	lowIP := func(c *identity.Config) {
		c.Limits = append(c.Limits, ratelimit.Limit{Name: ratelimit.LoginIP, Rate: 6, Period: time.Minute})
	}
	one := setupShared(t, pool, rdb, prefix, lowIP)
	two := setupShared(t, pool, rdb, prefix, lowIP)
	ok, limited := 0, 0
	var last error
	for i := range 10 {
		s := one
		if i%2 == 1 {
			s = two
		}
		_, err := s.auth().Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: goodPass}, ""))
		switch code(err) {
		case 0:
			ok++
		case connect.CodeResourceExhausted:
			limited++
			last = err
		default:
			t.Fatalf("login %d: %v", i, err)
		}
	}
	if ok != 6 || limited != 4 {
		t.Fatalf("ok %d, limited %d; want 6 and 4 across two servers", ok, limited)
	}
	if reason(last) != "RATE_LIMITED" {
		t.Fatalf("reason = %q", reason(last))
	}
	// Over plain HTTP the answer is 429 with Retry-After.
	res, err := one.http.Post(one.url+"/avatar.auth.v1.AuthService/Login", "application/json",
		strings.NewReader(`{"email":"`+superEmail+`","password":"`+goodPass+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("HTTP %d Retry-After=%q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

// TestBruteForceLockout: repeated wrong passwords lock the account, even for the right
// password, and the lock grows.
func TestBruteForceLockout(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *identity.Config) {
		c.AccountLockout = lockout.Config{Free: 5, Base: 2 * time.Second, Max: time.Hour}
	})
	ac := b.auth()
	for i := range 5 {
		_, err := ac.Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: "guess number " + string(rune('a'+i))}, ""))
		wantCode(t, err, connect.CodeUnauthenticated)
	}
	_, err := ac.Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: "guess number six"}, ""))
	wantCode(t, err, connect.CodeUnauthenticated) // the sixth failure sets a 2 s lock
	_, err = ac.Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: goodPass}, ""))
	wantCode(t, err, connect.CodeResourceExhausted)
	var ce *connect.Error
	if !asConnect(err, &ce) || ce.Meta().Get("Retry-After") == "" {
		t.Fatalf("no Retry-After: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)
	_, err = ac.Login(t.Context(), req(&authv1.LoginRequest{Email: superEmail, Password: "still guessing"}, ""))
	wantCode(t, err, connect.CodeUnauthenticated)
	ttl, _ := b.rdb.PTTL(t.Context(), b.prefix+"acct:lock:until:"+superEmail).Result()
	if ttl < 3*time.Second {
		t.Fatalf("second lock %v, want about 4 s", ttl)
	}
}

// TestJWKSAndKeyRotation: the edge's view. Tokens verify from the published JWKS, and a
// rotation logs nobody out.
func TestJWKSAndKeyRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	old := b.login(superEmail, goodPass)
	rks, err := accesstoken.NewRemoteKeySet(b.url+identity.JWKSPath, accesstoken.WithHTTPClient(b.http), accesstoken.WithMinRefetchInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	edge, _ := accesstoken.NewVerifier(rks, "https://core.avatar.test")
	c, err := edge.Verify(ctx, old.AccessToken)
	if err != nil || c.RoleValue() != orgv1.Role_ROLE_SUPER_ADMIN || c.Audience[0] != "avatar" {
		t.Fatalf("edge verify = %+v, %v", c, err)
	}
	if _, err := b.id.Keys.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := b.login(superEmail, goodPass)
	if _, err := edge.Verify(ctx, fresh.AccessToken); err != nil {
		t.Fatalf("new key at edge: %v", err)
	}
	if _, err := edge.Verify(ctx, old.AccessToken); err != nil {
		t.Fatalf("old key at edge after rotation: %v", err)
	}
	if _, err := b.org().GetMe(ctx, req(&orgv1.GetMeRequest{}, old.AccessToken)); err != nil {
		t.Fatalf("old token at core after rotation: %v", err)
	}
	if keys := b.id.Keys.PublicKeys(); len(keys) != 2 {
		t.Fatalf("published %d keys, want current and previous", len(keys))
	}
}

// TestAPIKeys: issue, use as a bearer with the key's role and dealership, revoke.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	su := b.superToken()
	a := b.dealership("Alpha Motors")
	b.user(su, a, "admin@alpha.test", orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	admin := b.login("admin@alpha.test", goodPass).AccessToken
	ac := b.auth()
	_, err := ac.CreateApiKey(ctx, req(&authv1.CreateApiKeyRequest{Name: "edge", Role: orgv1.Role_ROLE_EDGE_SERVICE}, admin))
	wantCode(t, err, connect.CodePermissionDenied)
	k, err := ac.CreateApiKey(ctx, req(&authv1.CreateApiKeyRequest{Name: "automation", Role: orgv1.Role_ROLE_DEALERSHIP_ADMIN}, admin))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Msg.Secret, "ak_"+k.Msg.ApiKey.Id+"_") || k.Msg.ApiKey.DealershipId != a {
		t.Fatalf("key = %+v", k.Msg)
	}
	list, err := b.org().ListUsers(ctx, req(&orgv1.ListUsersRequest{}, k.Msg.Secret))
	if err != nil || len(list.Msg.Users) != 1 {
		t.Fatalf("ListUsers with API key = %v, %v", list, err)
	}
	keys, err := ac.ListApiKeys(ctx, req(&authv1.ListApiKeysRequest{}, admin))
	if err != nil || len(keys.Msg.ApiKeys) != 1 || keys.Msg.ApiKeys[0].LastUsedTime == nil {
		t.Fatalf("ListApiKeys = %v, %v", keys, err)
	}
	wrong := k.Msg.Secret[:len(k.Msg.Secret)-4] + "0000"
	_, err = b.org().ListUsers(ctx, req(&orgv1.ListUsersRequest{}, wrong))
	wantCode(t, err, connect.CodeUnauthenticated)
	if _, err := ac.RevokeApiKey(ctx, req(&authv1.RevokeApiKeyRequest{Id: k.Msg.ApiKey.Id}, admin)); err != nil {
		t.Fatal(err)
	}
	_, err = b.org().ListUsers(ctx, req(&orgv1.ListUsersRequest{}, k.Msg.Secret))
	wantCode(t, err, connect.CodeUnauthenticated)
	// A super admin issues an edge identity, which may search but not manage users.
	edgeKey, err := ac.CreateApiKey(ctx, req(&authv1.CreateApiKeyRequest{Name: "edge-eu", Role: orgv1.Role_ROLE_EDGE_SERVICE}, su))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.org().ListUsers(ctx, req(&orgv1.ListUsersRequest{}, edgeKey.Msg.Secret))
	wantCode(t, err, connect.CodePermissionDenied)
}

// TestAuditLog: mutations are recorded with actor, fields (secrets redacted), IP and
// user agent; admins see only their dealership's events.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	su := b.superToken()
	a, bb := b.dealership("Alpha Motors"), b.dealership("Bravo Cars")
	b.user(su, a, "admin@alpha.test", orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	b.user(su, bb, "admin@bravo.test", orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	adminA := b.login("admin@alpha.test", goodPass).AccessToken
	created := b.user(adminA, "", "t@alpha.test", orgv1.Role_ROLE_TRAINEE)
	evs, err := b.org().ListAuditEvents(ctx, req(&orgv1.ListAuditEventsRequest{PageSize: 1}, adminA))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs.Msg.Events) != 1 || evs.Msg.NextPageToken == "" {
		t.Fatalf("page = %+v", evs.Msg)
	}
	e := evs.Msg.Events[0]
	if e.Action != "avatar.org.v1.OrgService/CreateUser" || e.ActorEmail != "admin@alpha.test" || e.ResourceType != "user" ||
		e.ResourceId != created.Id || e.DealershipId != a || e.Ip == "" || e.UserAgent != "identity-test/1.0" {
		t.Fatalf("event = %+v", e)
	}
	if e.ChangedFields["password"] != "[REDACTED]" || e.ChangedFields["email"] != "t@alpha.test" || e.ChangedFields["role"] != "ROLE_TRAINEE" {
		t.Fatalf("changed = %v", e.ChangedFields)
	}
	next, err := b.org().ListAuditEvents(ctx, req(&orgv1.ListAuditEventsRequest{PageToken: evs.Msg.NextPageToken, PageSize: 50}, adminA))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(next.Msg.Events, evs.Msg.Events...) {
		if e.DealershipId != a {
			t.Fatalf("admin A sees event of %s: %+v", e.DealershipId, e)
		}
	}
	_, err = b.org().ListAuditEvents(ctx, req(&orgv1.ListAuditEventsRequest{DealershipId: bb}, adminA))
	wantCode(t, err, connect.CodeNotFound)
}

// TestBootstrapOnce: the bootstrap runs only while no user exists.
func TestBootstrapOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	setupShared(t, b.pool, b.rdb, b.prefix, func(c *identity.Config) { c.BootstrapEmail = "second@avatar.test" })
	var n int
	if err := b.pool.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n); err != nil || n != 1 {
		t.Fatalf("users = %d, %v", n, err)
	}
}

func asConnect(err error, target **connect.Error) bool { return errors.As(err, target) }
