package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	edge := []string{"-edge", "http://127.0.0.1:8090/"}
	tests := []struct {
		name    string
		args    []string
		wantErr []string // substrings, all present
		check   func(o options) bool
	}{
		{name: "defaults with an edge", args: edge, check: func(o options) bool {
			return o.edgeURL == "http://127.0.0.1:8090" && o.calls == 8 && o.duration == time.Minute && o.split == "all" && len(o.speech) == 2 && o.only == nil
		}},
		{name: "no edge", wantErr: []string{"-edge: required"}},
		{name: "accounts with a pattern", args: append([]string{"-accounts", "4", "-email", "c-%d@x.test"}, edge...), check: func(o options) bool { return o.Accounts == 4 }},
		{name: "accounts without a pattern", args: append([]string{"-accounts", "4"}, edge...), wantErr: []string{"-accounts 4"}},
		{name: "prefixes and split", args: append([]string{"-only", "mfa_, cards_", "-split", "report"}, edge...), check: func(o options) bool {
			return slices.Equal(o.only, []string{"mfa_", "cards_"}) && o.split == "report"
		}},
		{name: "profile needs the debug listener", args: append([]string{"-profile", "/tmp/p"}, edge...), wantErr: []string{"-profile needs -debug"}},
		{name: "bad values together", args: []string{"-edge", "localhost:8090", "-calls", "0", "-split", "half", "-duration", "10ms", "-max-response", "0s"},
			wantErr: []string{"-edge \"localhost:8090\"", "-calls 0", "-split \"half\"", "-duration 10ms", "-max-response 0s"}},
		{name: "stray argument", args: append(edge, "extra"), wantErr: []string{"unexpected arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, func(string) string { return "" }, io.Discard)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(o) {
					t.Errorf("options %+v", o)
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
