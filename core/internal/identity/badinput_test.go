package identity_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBadInput: malformed or hostile input answers a 4xx with a reason (and field
// violations where a field is wrong), never a 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	su := b.superToken()
	long := strings.Repeat("x", 10000)
	tests := []struct {
		name       string
		path       string
		body       string
		token      bool
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{name: "malformed json", path: "AuthService/Login", body: `{"email":`, wantStatus: 400, wantCode: "invalid_argument"},
		{name: "not json", path: "AuthService/Login", body: `email=a&password=b`, wantStatus: 400, wantCode: "invalid_argument"},
		{name: "wrong type", path: "AuthService/Login", body: `{"email":42,"password":true}`, wantStatus: 400, wantCode: "invalid_argument"},
		{name: "unknown enum", path: "OrgService/CreateUser", token: true, body: `{"email":"a@b.test","password":"long enough pw","role":"ROLE_GOD"}`, wantStatus: 400, wantCode: "invalid_argument"},
		{name: "empty login", path: "AuthService/Login", body: `{}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "email"},
		{name: "invalid email", path: "AuthService/Login", body: `{"email":"not-an-email","password":"x"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "email"},
		{name: "email with display name", path: "AuthService/Login", body: `{"email":"Bob <bob@x.test>","password":"x"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "email"},
		{name: "email control char", path: "AuthService/Login", body: `{"email":"a\u0000@b.test","password":"x"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "email"},
		{name: "10000-char email", path: "AuthService/Login", body: `{"email":"` + long + `@x.test","password":"x"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "email"},
		{name: "10000-char password", path: "AuthService/Login", body: `{"email":"a@b.test","password":"` + long + `"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "password"},
		{name: "bad refresh token", path: "AuthService/Refresh", body: `{"refreshToken":"` + long + `"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "refreshToken"},
		{name: "short password", path: "OrgService/CreateUser", token: true, body: `{"dealershipId":"","email":"a@b.test","password":"short","role":"ROLE_SUPER_ADMIN"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "password"},
		{name: "missing role", path: "OrgService/CreateUser", token: true, body: `{"email":"a@b.test","password":"long enough pw"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "role"},
		{name: "name control chars", path: "OrgService/CreateDealership", token: true, body: `{"name":"Alpha\u0007Motors"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "name"},
		{name: "10000-char name", path: "OrgService/CreateDealership", token: true, body: `{"name":"` + long + `"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "name"},
		{name: "blank name", path: "OrgService/CreateDealership", token: true, body: `{"name":"   "}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "name"},
		{name: "bad id", path: "OrgService/GetUser", token: true, body: `{"id":"'; DROP TABLE users; --"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "id"},
		{name: "bad page token", path: "OrgService/ListUsers", token: true, body: `{"pageToken":"garbage!"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "pageToken"},
		{name: "huge page size", path: "OrgService/ListUsers", token: true, body: `{"pageSize":100000}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "pageSize"},
		{name: "unknown user", path: "OrgService/GetUser", token: true, body: `{"id":"00000000-0000-0000-0000-000000000000"}`, wantStatus: 404, wantCode: "not_found"},
		{name: "oversized body", path: "OrgService/CreateDealership", token: true, body: `{"name":"` + strings.Repeat("y", 100<<10) + `"}`, wantStatus: 413, wantCode: "resource_exhausted"},
		{name: "no credentials", path: "OrgService/GetMe", body: `{}`, wantStatus: 401, wantCode: "unauthenticated"},
		{name: "unknown procedure", path: "OrgService/DropEverything", token: true, body: `{}`, wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+"/avatar."+svcPkg(tc.path)+"."+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			if tc.token {
				r.Header.Set("Authorization", "Bearer "+su)
			}
			res, err := b.http.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode >= 500 || res.StatusCode != tc.wantStatus {
				t.Fatalf("HTTP %d, want %d: %s", res.StatusCode, tc.wantStatus, body)
			}
			var e struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details []struct {
					Type  string          `json:"type"`
					Debug json.RawMessage `json:"debug"`
				} `json:"details"`
			}
			_ = json.Unmarshal(body, &e)
			if e.Code != tc.wantCode {
				t.Fatalf("code %q, want %q: %s", e.Code, tc.wantCode, body)
			}
			if tc.wantField != "" && !strings.Contains(e.Message, tc.wantField+":") {
				t.Fatalf("message %q does not name field %s", e.Message, tc.wantField)
			}
			// Every coded error carries an ErrorDetail, including those connect raises
			// while decoding (apierror.HTTPMiddleware completes them).
			if e.Code != "" && len(e.Details) == 0 {
				t.Fatalf("no error detail: %s", body)
			}
		})
	}
}

func svcPkg(path string) string {
	if strings.HasPrefix(path, "AuthService") {
		return "auth.v1"
	}
	return "org.v1"
}
