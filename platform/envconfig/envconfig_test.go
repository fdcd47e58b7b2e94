package envconfig_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/platform/envconfig"
)

// vars is a getenv over a map, as the services' tests pass to their Load.
func vars(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

const key32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  // 32 zero bytes
const key32b = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" // 32 bytes of 1

// readerCase reads AVATAR_X set to value with one reader.
type readerCase struct {
	name    string
	value   string // the value of AVATAR_X; "" leaves it unset
	read    func(r *envconfig.Reader) any
	want    any
	wantErr string // the exact problem after "AVATAR_X: "; "" for none
}

func TestReaders(t *testing.T) {
	readable := filepath.Join("testdata", "readable.txt")
	unreadable := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	zero, one := make([]byte, 32), make([]byte, 32)
	for i := range one {
		one[i] = 1
	}
	tests := []readerCase{
		// String.
		{name: "string value", value: "  eu-west  ", read: func(r *envconfig.Reader) any { return r.String("AVATAR_X", "local") }, want: "eu-west"},
		{name: "string default", read: func(r *envconfig.Reader) any { return r.String("AVATAR_X", "local") }, want: "local"},
		{name: "string blank takes default", value: "   ", read: func(r *envconfig.Reader) any { return r.String("AVATAR_X", "local") }, want: "local"},

		// OneOf.
		{name: "one-of value", value: "WARN", read: func(r *envconfig.Reader) any { return r.OneOf("AVATAR_X", "info", "debug", "info", "warn") }, want: "warn"},
		{name: "one-of default", read: func(r *envconfig.Reader) any { return r.OneOf("AVATAR_X", "info", "debug", "info", "warn") }, want: "info"},
		{name: "one-of unknown", value: "Loud", read: func(r *envconfig.Reader) any { return r.OneOf("AVATAR_X", "info", "debug", "info", "warn") }, want: "info", wantErr: `"loud" must be one of debug, info, warn`},

		// Bool.
		{name: "bool value", value: "TRUE", read: func(r *envconfig.Reader) any { return r.Bool("AVATAR_X", false) }, want: true},
		{name: "bool zero", value: "0", read: func(r *envconfig.Reader) any { return r.Bool("AVATAR_X", true) }, want: false},
		{name: "bool default", read: func(r *envconfig.Reader) any { return r.Bool("AVATAR_X", true) }, want: true},
		{name: "bool word", value: "maybe", read: func(r *envconfig.Reader) any { return r.Bool("AVATAR_X", false) }, want: false, wantErr: `"maybe" must be true or false`},

		// Int.
		{name: "int value", value: "42", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 42},
		{name: "int low end", value: "1", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 1},
		{name: "int high end", value: "100", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 100},
		{name: "int default", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 20},
		{name: "int word", value: "many", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 20, wantErr: `"many" must be an integer from 1 to 100`},
		{name: "int fraction", value: "1.5", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 20, wantErr: `"1.5" must be an integer from 1 to 100`},
		{name: "int below", value: "0", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 20, wantErr: `"0" must be an integer from 1 to 100`},
		{name: "int above", value: "101", read: func(r *envconfig.Reader) any { return r.Int("AVATAR_X", 20, 1, 100) }, want: 20, wantErr: `"101" must be an integer from 1 to 100`},

		// Float.
		{name: "float value", value: "2.5", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 2.5},
		{name: "float ends included", value: "0", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 0.0},
		{name: "float default", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 1.0},
		{name: "float word", value: "half", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 1.0, wantErr: `"half" must be a number from 0 to 10`},
		{name: "float above", value: "10.5", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 1.0, wantErr: `"10.5" must be a number from 0 to 10`},
		{name: "float NaN", value: "NaN", read: func(r *envconfig.Reader) any { return r.Float("AVATAR_X", 1, 0, 10) }, want: 1.0, wantErr: `"NaN" must be a number from 0 to 10`},

		// Fraction.
		{name: "fraction value", value: "0.25", read: func(r *envconfig.Reader) any { return r.Fraction("AVATAR_X", 0.5) }, want: 0.25},
		{name: "fraction default", read: func(r *envconfig.Reader) any { return r.Fraction("AVATAR_X", 0.5) }, want: 0.5},
		{name: "fraction zero", value: "0", read: func(r *envconfig.Reader) any { return r.Fraction("AVATAR_X", 0.5) }, want: 0.5, wantErr: `"0" must be a number between 0 and 1, both excluded`},
		{name: "fraction one", value: "1", read: func(r *envconfig.Reader) any { return r.Fraction("AVATAR_X", 0.5) }, want: 0.5, wantErr: `"1" must be a number between 0 and 1, both excluded`},
		{name: "fraction word", value: "most", read: func(r *envconfig.Reader) any { return r.Fraction("AVATAR_X", 0.5) }, want: 0.5, wantErr: `"most" must be a number between 0 and 1, both excluded`},

		// Duration.
		{name: "duration value", value: "1m30s", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 90 * time.Second},
		{name: "duration default", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 20 * time.Second},
		{name: "duration zero", value: "0s", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 20 * time.Second, wantErr: `"0s" must be a positive duration such as 20s`},
		{name: "duration bare zero", value: "0", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 20 * time.Second, wantErr: `"0" must be a positive duration such as 20s`},
		{name: "duration negative", value: "-1s", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 20 * time.Second, wantErr: `"-1s" must be a positive duration such as 20s`},
		{name: "duration no unit", value: "30", read: func(r *envconfig.Reader) any { return r.Duration("AVATAR_X", 20*time.Second) }, want: 20 * time.Second, wantErr: `"30" must be a positive duration such as 20s`},

		// Addr.
		{name: "addr port only", value: ":8080", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":8080"},
		{name: "addr host and port", value: "127.0.0.1:4223", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: "127.0.0.1:4223"},
		{name: "addr IPv6", value: "[::1]:0", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: "[::1]:0"},
		{name: "addr default", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":9"},
		{name: "addr no colon", value: "8080", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":9", wantErr: `"8080" is not host:port (e.g. :8080)`},
		{name: "addr port too big", value: ":99999", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":9", wantErr: `port "99999" is not a number from 0 to 65535`},
		{name: "addr port named", value: "localhost:http", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":9", wantErr: `port "http" is not a number from 0 to 65535`},
		{name: "addr port empty", value: "localhost:", read: func(r *envconfig.Reader) any { return r.Addr("AVATAR_X", ":9") }, want: ":9", wantErr: `port "" is not a number from 0 to 65535`},

		// URL.
		{name: "url value", value: "https://user:pw@api.example.com/v1/", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "http", "https") }, want: "https://user:pw@api.example.com/v1"},
		{name: "url default", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "http://localhost:8080", "http", "https") }, want: "http://localhost:8080"},
		{name: "url optional unset", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "http", "https") }, want: ""},
		{name: "url wrong scheme", value: "ftp://user:pw@x", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "http", "https", "ws") }, want: "", wantErr: `must be a URL with scheme http, https or ws and a host`},
		{name: "url no scheme", value: "localhost:6379", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "redis") }, want: "", wantErr: `must be a URL with scheme redis and a host`},
		{name: "url no host", value: "http:///path", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "http") }, want: "", wantErr: `must be a URL with scheme http and a host`},
		{name: "url unparsable", value: "http://[::1", read: func(r *envconfig.Reader) any { return r.URL("AVATAR_X", "", "http") }, want: "", wantErr: `must be a URL with scheme http and a host`},

		// URLs.
		{name: "urls cluster", value: "nats://a:4222, tls://b:4222/", read: func(r *envconfig.Reader) any { return r.URLs("AVATAR_X", "", "nats", "tls") }, want: []string{"nats://a:4222", "tls://b:4222"}},
		{name: "urls default", read: func(r *envconfig.Reader) any { return r.URLs("AVATAR_X", "nats://127.0.0.1:4222", "nats") }, want: []string{"nats://127.0.0.1:4222"}},
		{name: "urls unset", read: func(r *envconfig.Reader) any { return r.URLs("AVATAR_X", "", "nats") }, want: []string(nil)},
		{name: "urls bad item", value: "nats://a:4222,http://b:4222", read: func(r *envconfig.Reader) any { return r.URLs("AVATAR_X", "", "nats", "tls") }, want: []string(nil), wantErr: `item 2: must be a URL with scheme nats or tls and a host (comma-separated for a cluster)`},

		// List.
		{name: "list items", value: " a, ,b ,", read: func(r *envconfig.Reader) any { return r.List("AVATAR_X", "", nil) }, want: []string{"a", "b"}},
		{name: "list default", read: func(r *envconfig.Reader) any { return r.List("AVATAR_X", "x,y", nil) }, want: []string{"x", "y"}},
		{name: "list unset", read: func(r *envconfig.Reader) any { return r.List("AVATAR_X", "", nil) }, want: []string(nil)},
		{name: "list check fails", value: "ok,bad", read: func(r *envconfig.Reader) any {
			return r.List("AVATAR_X", "", func(item string) error {
				if item == "bad" {
					return errors.New(`"bad" is not good`)
				}
				return nil
			})
		}, want: []string(nil), wantErr: `"bad" is not good`},

		// IPs.
		{name: "ips value", value: "203.0.113.7, 2001:db8::1", read: func(r *envconfig.Reader) any { return r.IPs("AVATAR_X") }, want: []string{"203.0.113.7", "2001:db8::1"}},
		{name: "ips unset", read: func(r *envconfig.Reader) any { return r.IPs("AVATAR_X") }, want: []string(nil)},
		{name: "ips host name", value: "203.0.113.7,edge.example", read: func(r *envconfig.Reader) any { return r.IPs("AVATAR_X") }, want: []string(nil), wantErr: `"edge.example" is not an IP address`},

		// File.
		{name: "file value", value: readable, read: func(r *envconfig.Reader) any { return r.File("AVATAR_X") }, want: readable},
		{name: "file unset", read: func(r *envconfig.Reader) any { return r.File("AVATAR_X") }, want: ""},
		{name: "file missing", value: "/no/such.lm", read: func(r *envconfig.Reader) any { return r.File("AVATAR_X") }, want: "", wantErr: `"/no/such.lm" is not a readable file`},
		{name: "file is a directory", value: "testdata", read: func(r *envconfig.Reader) any { return r.File("AVATAR_X") }, want: "", wantErr: `"testdata" is not a readable file`},

		// Keys.
		{name: "keys value", value: "k2:" + key32 + ", k1:" + key32b, read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key{{ID: "k2", Bytes: zero}, {ID: "k1", Bytes: one}}},
		{name: "keys unset", read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil)},
		{name: "keys no id", value: key32, read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil), wantErr: `each key must be id:base64 (32 bytes), comma-separated`},
		{name: "keys empty id", value: ":" + key32, read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil), wantErr: `each key must be id:base64 (32 bytes), comma-separated`},
		{name: "keys short", value: "k1:c2hvcnQ=", read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil), wantErr: `key "k1" must be 32 bytes of standard base64`},
		{name: "keys not base64", value: "k1:not*base64", read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil), wantErr: `key "k1" must be 32 bytes of standard base64`},
		{name: "keys repeated id", value: "k1:" + key32 + ",k1:" + key32b, read: func(r *envconfig.Reader) any { return r.Keys("AVATAR_X", 32) }, want: []envconfig.Key(nil), wantErr: `key id "k1" appears twice`},
	}
	if os.Geteuid() != 0 { // root opens any file, so only others can see this case
		tests = append(tests, readerCase{name: "file unreadable", value: unreadable, read: func(r *envconfig.Reader) any { return r.File("AVATAR_X") }, want: "", wantErr: `"` + unreadable + `" is not a readable file`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.New(vars(map[string]string{"AVATAR_X": tt.value}))
			got := tt.read(r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("value %#v, want %#v", got, tt.want)
			}
			err := r.Err()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, envconfig.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			var e *envconfig.Error
			if !errors.As(err, &e) || e.Name != "AVATAR_X" || e.Problem != tt.wantErr {
				t.Fatalf("error %#v, want AVATAR_X with problem %q", err, tt.wantErr)
			}
			if want := "invalid configuration: AVATAR_X: " + tt.wantErr; err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestReaderKeepsTheFirstProblem(t *testing.T) {
	r := envconfig.New(vars(map[string]string{"AVATAR_A": "x", "AVATAR_B": "y"}))
	if r.Err() != nil {
		t.Fatalf("new Reader has error %v", r.Err())
	}
	r.Int("AVATAR_A", 1, 0, 9)
	r.Duration("AVATAR_B", time.Second)
	r.Fail("AVATAR_C", "is required")
	if got, want := r.Err().Error(), `invalid configuration: AVATAR_A: "x" must be an integer from 0 to 9`; got != want {
		t.Fatalf("Err %q, want %q", got, want)
	}
}

func TestReaderFail(t *testing.T) {
	r := envconfig.New(nil) // nil getenv: every variable unset
	if got := r.String("AVATAR_A", "def"); got != "def" {
		t.Fatalf("String over nil getenv = %q, want the default", got)
	}
	r.Fail("AVATAR_URL", "is required when AVATAR_MODE is remote")
	if got, want := r.Err().Error(), "invalid configuration: AVATAR_URL: is required when AVATAR_MODE is remote"; got != want {
		t.Fatalf("Err %q, want %q", got, want)
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		schemes []string
		wantErr string
	}{
		{name: "good", value: "https://app.example.com", schemes: []string{"http", "https"}},
		{name: "upper-case scheme", value: "HTTPS://app.example.com", schemes: []string{"https"}},
		{name: "no scheme list", value: "https://app.example.com", wantErr: "must be a URL with scheme (none) and a host"},
		{name: "relative", value: "/path", schemes: []string{"http"}, wantErr: "must be a URL with scheme http and a host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := envconfig.CheckURL(tt.value, tt.schemes...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckURL(%q) = %v", tt.value, err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("CheckURL(%q) = %v, want %q", tt.value, err, tt.wantErr)
			}
		})
	}
}
