package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/config"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the variable named in the error
	}{
		{name: "defaults", env: nil},
		{name: "bad port", env: map[string]string{"AVATAR_EDGE_UDP_PORT": "70000"}, wantErr: "AVATAR_EDGE_UDP_PORT"},
		{name: "bad VAD", env: map[string]string{"AVATAR_VAD": "webrtc"}, wantErr: "AVATAR_VAD"},
		{name: "bad STT", env: map[string]string{"AVATAR_STT": "whisper.cpp"}, wantErr: "AVATAR_STT"},
		{name: "provider without URL", env: map[string]string{"AVATAR_STT": "openai"}, wantErr: "AVATAR_STT_URL"},
		{name: "bad public IP", env: map[string]string{"AVATAR_EDGE_PUBLIC_IP": "edge.example"}, wantErr: "AVATAR_EDGE_PUBLIC_IP"},
		{name: "bad ICE server", env: map[string]string{"AVATAR_ICE_SERVERS": "http://x"}, wantErr: "AVATAR_ICE_SERVERS"},
		{name: "missing LM", env: map[string]string{"AVATAR_STT_LM": "/no/such.lm"}, wantErr: "AVATAR_STT_LM"},
		{name: "bad max calls", env: map[string]string{"AVATAR_EDGE_MAX_CALLS": "0"}, wantErr: "AVATAR_EDGE_MAX_CALLS"},
		{name: "providers", env: map[string]string{"AVATAR_STT": "deepgram", "AVATAR_STT_URL": "wss://dg.example/v1/listen", "AVATAR_TTS": "openai", "AVATAR_TTS_URL": "http://tts:8880"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(func(k string) string { return tc.env[k] })
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.env == nil && (c.Addr != ":8090" || c.UDPPort != 8091 || c.Region != "local" || c.STT != "pocketsphinx" || c.TTS != "espeak" || c.MaxCalls != 100) {
					t.Errorf("defaults: %+v", c)
				}
				return
			}
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr+":") {
				t.Errorf("err %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}
