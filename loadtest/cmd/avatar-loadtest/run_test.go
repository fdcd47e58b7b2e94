package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/report"
)

func TestFailureKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"503 from the edge", fmt.Errorf("dial: %w", &caller.StatusError{Code: 503}), report.FailFull},
		{"429 from the edge", &caller.StatusError{Code: 429}, report.FailRateLimited},
		{"401 from the edge", &caller.StatusError{Code: 401}, report.FailSetup},
		{"session rate limited", fmt.Errorf("start session: %w", connect.NewError(connect.CodeResourceExhausted, errors.New("slow down"))), report.FailRateLimited},
		{"session unavailable", connect.NewError(connect.CodeUnavailable, errors.New("draining")), report.FailFull},
		{"ICE timeout", fmt.Errorf("connect: %w", errors.New("context deadline exceeded")), report.FailSetup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failureKind(tt.err); got != tt.want {
				t.Errorf("failureKind = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadClipsScript(t *testing.T) {
	tests := []struct {
		name    string
		o       options
		want    int // clips
		wantErr bool
	}{
		{name: "the role-play script, spoken by Flite", o: options{script: "../../testdata/vsc-roleplay.txt", voice: "rms"}, want: 6},
		{name: "another voice", o: options{script: "../../testdata/vsc-roleplay.txt", voice: "slt"}, want: 6},
		{name: "a missing script", o: options{script: "../../testdata/none.txt", voice: "rms"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clips, err := loadClips(tt.o)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(clips) != tt.want {
				t.Fatalf("%d clips, want %d", len(clips), tt.want)
			}
			for k, c := range clips {
				// The script's lines, in order, at 16 kHz: a second or more
				// of speech each, with the speaker stopping near the end.
				if k == 0 && (c.Name != "vsc-roleplay.txt:3" || !strings.HasPrefix(c.Text, "Hi, thanks")) {
					t.Errorf("first clip %s %q", c.Name, c.Text)
				}
				if d := c.Duration(); d < time.Second || c.Voiced < d/2 || c.Voiced > d {
					t.Errorf("%s: %v long, voiced until %v", c.Name, d, c.Voiced)
				}
			}
		})
	}
}
