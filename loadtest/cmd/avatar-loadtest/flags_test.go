package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/loadtest/internal/relay"
)

func TestParseRegion(t *testing.T) {
	tests := []struct {
		in      string
		want    regionFlag
		wantErr string
	}{
		{"us-east", regionFlag{name: "us-east"}, ""},
		{"us-east=http://127.0.0.1:8090/", regionFlag{name: "us-east", edgeURL: "http://127.0.0.1:8090"}, ""},
		{"eu=https://edge.example,delay=110ms,jitter=25ms,loss=1%",
			regionFlag{name: "eu", edgeURL: "https://edge.example", imp: relay.Impairment{Delay: 110 * time.Millisecond, Jitter: 25 * time.Millisecond, Loss: 0.01}, impText: "delay=110ms,jitter=25ms,loss=1%"}, ""},
		{"west,loss=0.5%", regionFlag{name: "west", imp: relay.Impairment{Loss: 0.005}, impText: "delay=0s,jitter=0s,loss=0.5%"}, ""},
		{"", regionFlag{}, "want NAME"},
		{"=http://x", regionFlag{}, "want NAME"},
		{"us=ftp://x", regionFlag{}, "not http(s)"},
		{"us=http://", regionFlag{}, "not http(s)"},
		{"us,delay=fast", regionFlag{}, "bad impairment"},
		{"us,loss=150%", regionFlag{}, "loss"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRegion(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		wantErr []string // substrings, all present
	}{
		{"defaults with a region", []string{"-region", "us-east"}, nil},
		{"no region", nil, []string{"-region: give at least one"}},
		{"duplicate region", []string{"-region", "a", "-region", "a=http://x"}, []string{"given twice"}},
		{"bad values together", []string{"-region", "a", "-calls", "0", "-mode", "sing", "-duration", "10ms", "-max-failed", "-2", "-core", "localhost"},
			[]string{"-calls 0", "-mode \"sing\"", "-duration 10ms", "-max-failed", "-core \"localhost\""}},
		{"accounts need a pattern", []string{"-region", "a", "-accounts", "4"}, []string{"-accounts 4"}},
		{"a pattern needs accounts", []string{"-region", "a", "-email", "c-%d@x.test"}, []string{"-accounts 0"}},
		{"accounts with a pattern", []string{"-region", "a", "-accounts", "4", "-email", "c-%d@x.test"}, nil},
		{"a script and a voice", []string{"-region", "a", "-script", "x.txt", "-voice", "slt"}, nil},
		{"unknown voice", []string{"-region", "a", "-script", "x.txt", "-voice", "en-us"}, []string{"-voice \"en-us\""}},
		{"stray argument", []string{"-region", "a", "extra"}, []string{"unexpected arguments"}},
		{"coach needs no scenario", []string{"-region", "a", "-mode", "coach", "-scenario", ""}, nil},
		{"role-play needs one", []string{"-region", "a", "-scenario", " "}, []string{"-scenario"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, noEnv, io.Discard)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if o.calls != 2 || o.duration != time.Minute || o.maxFailed != -1 || o.Email == "" {
					t.Errorf("defaults: %+v", o)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestParseFlagsReadsEnvironment(t *testing.T) {
	env := map[string]string{"AVATAR_CORE_URL": "http://core:8080", "AVATAR_EMAIL": "a@b.test", "AVATAR_PASSWORD": "pw"}
	o, err := parseFlags([]string{"-region", "x"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.CoreURL != "http://core:8080" || o.Email != "a@b.test" || o.Password != "pw" {
		t.Errorf("options %+v", o)
	}
}
