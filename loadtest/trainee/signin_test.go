package trainee_test

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/loadtest/trainee"
)

func TestSignInFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    trainee.SignIn
		wantErr []string
	}{
		{name: "defaults", want: trainee.SignIn{CoreURL: "http://localhost:8080", Email: "trainee@demo-motors.test", Password: "avatar-demo-password"}},
		{name: "environment", env: map[string]string{"AVATAR_CORE_URL": "http://core:8080", "AVATAR_EMAIL": "a@b.test", "AVATAR_PASSWORD": "pw"},
			want: trainee.SignIn{CoreURL: "http://core:8080", Email: "a@b.test", Password: "pw"}},
		{name: "flags win", env: map[string]string{"AVATAR_EMAIL": "a@b.test"}, args: []string{"-email", "c-%d@b.test", "-accounts", "3"},
			want: trainee.SignIn{CoreURL: "http://localhost:8080", Email: "c-%d@b.test", Password: "avatar-demo-password", Accounts: 3}},
		{name: "bad values", args: []string{"-core", "core:8080", "-password", "", "-accounts", "2"},
			wantErr: []string{`-core "core:8080"`, "-email and -password", "-accounts 2"}},
		{name: "pattern without a count", args: []string{"-email", "c-%d@b.test"}, wantErr: []string{"-accounts 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s trainee.SignIn
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			s.AddFlags(fs, func(k string) string { return tt.env[k] }, "sign-in")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			errs := s.Check()
			if len(tt.wantErr) == 0 {
				if len(errs) > 0 || s != tt.want {
					t.Errorf("got %+v, %v; want %+v", s, errs, tt.want)
				}
				return
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			for _, w := range tt.wantErr {
				if !strings.Contains(all, w) {
					t.Errorf("errors %q lack %q", all, w)
				}
			}
			if len(errs) != len(tt.wantErr) {
				t.Errorf("%d errors (%q), want %d", len(errs), all, len(tt.wantErr))
			}
		})
	}
}
