package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/media/endpoint"
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
		{name: "zero shutdown timeout", env: map[string]string{"AVATAR_SHUTDOWN_TIMEOUT": "0s"}, wantErr: "AVATAR_SHUTDOWN_TIMEOUT"},
		{name: "bad LM weight", env: map[string]string{"AVATAR_STT_LM_WEIGHT": "1"}, wantErr: "AVATAR_STT_LM_WEIGHT"},
		{name: "bad addr", env: map[string]string{"AVATAR_EDGE_ADDR": "8090"}, wantErr: "AVATAR_EDGE_ADDR"},
		{name: "bad NATS URL", env: map[string]string{"AVATAR_NATS_URL": "127.0.0.1:4222"}, wantErr: "AVATAR_NATS_URL"},
		{name: "bad core public URL", env: map[string]string{"AVATAR_PUBLIC_URL": "localhost:8080"}, wantErr: "AVATAR_PUBLIC_URL"},
		{name: "bad token issuer", env: map[string]string{"AVATAR_TOKEN_ISSUER": "ftp://core"}, wantErr: "AVATAR_TOKEN_ISSUER"},
		{name: "bad log level", env: map[string]string{"AVATAR_LOG_LEVEL": "loud"}, wantErr: "AVATAR_LOG_LEVEL"},
		{name: "bad flite voice", env: map[string]string{"AVATAR_TTS_VOICE": "en-us"}, wantErr: "AVATAR_TTS_VOICE"},
		{name: "bad Redis URL", env: map[string]string{"AVATAR_REDIS_URL": "127.0.0.1:6379"}, wantErr: "AVATAR_REDIS_URL"},
		{name: "bad LLM URL", env: map[string]string{"AVATAR_LLM_URL": "ollama:11434"}, wantErr: "AVATAR_LLM_URL"},
		{name: "zero idle timeout", env: map[string]string{"AVATAR_SESSION_IDLE_TIMEOUT": "0s"}, wantErr: "AVATAR_SESSION_IDLE_TIMEOUT"},
		{name: "turn threshold out of range", env: map[string]string{"AVATAR_TURN_THRESHOLD": "0"}, wantErr: "AVATAR_TURN_THRESHOLD"},
		{name: "max calls zero", env: map[string]string{"AVATAR_EDGE_MAX_CALLS": "0"}, wantErr: "AVATAR_EDGE_MAX_CALLS"},
		{name: "bad CORS origin", env: map[string]string{"AVATAR_CORS_ORIGINS": "http://localhost:5173,localhost:8080"}, wantErr: "AVATAR_CORS_ORIGINS"},
		{name: "debug listener not loopback", env: map[string]string{"AVATAR_EDGE_DEBUG_ADDR": "0.0.0.0:6060"}, wantErr: "AVATAR_EDGE_DEBUG_ADDR"},
		{name: "debug listener on every interface", env: map[string]string{"AVATAR_EDGE_DEBUG_ADDR": ":6060"}, wantErr: "AVATAR_EDGE_DEBUG_ADDR"},
		{name: "debug listener not an address", env: map[string]string{"AVATAR_EDGE_DEBUG_ADDR": "6060"}, wantErr: "AVATAR_EDGE_DEBUG_ADDR"},
		{name: "espeak fallback", env: map[string]string{"AVATAR_TTS": "espeak", "AVATAR_TTS_VOICE": "en-us"}},
		{name: "providers", env: map[string]string{"AVATAR_STT": "deepgram", "AVATAR_STT_URL": "wss://dg.example/v1/listen", "AVATAR_TTS": "openai", "AVATAR_TTS_URL": "http://tts:8880"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(func(k string) string { return tc.env[k] })
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.env == nil && (c.Addr != ":8090" || c.UDPPort != 8091 || c.Region != "local" || c.STT != "pocketsphinx" || c.TTS != "flite" || c.TTSVoice != "slt" || c.MaxCalls != rtc.DefaultMaxCalls || c.TurnThreshold != endpoint.DefaultThreshold || c.SessionIdle != 30*time.Minute || c.LLMURL != "" || c.RedisURL != "redis://127.0.0.1:6379/0") {
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

func TestLoadValues(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c config.Config) bool
	}{
		{name: "issuer from the core's public URL", env: map[string]string{"AVATAR_PUBLIC_URL": "https://avatar.example.com/"},
			check: func(c config.Config) bool { return c.TokenIssuer == "https://avatar.example.com" }},
		{name: "issuer set wins", env: map[string]string{"AVATAR_PUBLIC_URL": "https://a.example.com", "AVATAR_TOKEN_ISSUER": "https://b.example.com"},
			check: func(c config.Config) bool { return c.TokenIssuer == "https://b.example.com" }},
		{name: "issuer default", env: nil,
			check: func(c config.Config) bool {
				return c.TokenIssuer == "http://localhost:8080" && c.ShutdownTimeout.Seconds() == 30 && c.STTLMWeight == 0.5
			}},
		{name: "capacity and turn threshold defaults", env: nil,
			check: func(c config.Config) bool {
				return c.MaxCalls == rtc.DefaultMaxCalls && c.TurnThreshold == endpoint.DefaultThreshold && !c.TurnHabits
			}},
		{name: "capacity and turn threshold set", env: map[string]string{"AVATAR_EDGE_MAX_CALLS": "6", "AVATAR_TURN_THRESHOLD": "2.5", "AVATAR_TURN_HABITS": "true"},
			check: func(c config.Config) bool { return c.MaxCalls == 6 && c.TurnThreshold == 2.5 && c.TurnHabits }},
		{name: "CORS origins default", env: nil,
			check: func(c config.Config) bool {
				return strings.Join(c.CORSOrigins, " ") == "http://localhost:5173 http://localhost:8080"
			}},
		{name: "CORS origins set", env: map[string]string{"AVATAR_CORS_ORIGINS": "https://app.example.com"},
			check: func(c config.Config) bool { return strings.Join(c.CORSOrigins, " ") == "https://app.example.com" }},
		{name: "edge URL from the listen port", env: map[string]string{"AVATAR_EDGE_ADDR": "127.0.0.1:9000"},
			check: func(c config.Config) bool {
				return strings.HasPrefix(c.PublicURL, "http://") && strings.HasSuffix(c.PublicURL, ":9000")
			}},
		{name: "lists", env: map[string]string{"AVATAR_EDGE_PUBLIC_IP": "203.0.113.7, 2001:db8::1", "AVATAR_ICE_SERVERS": "stun:stun.example.com:3478,turns:turn.example.com"},
			check: func(c config.Config) bool { return len(c.PublicIPs) == 2 && len(c.ICEServers) == 2 }},
		{name: "provider models", env: map[string]string{"AVATAR_STT": "OpenAI", "AVATAR_STT_URL": "https://api.example.com/", "AVATAR_TTS": "openai", "AVATAR_TTS_URL": "http://tts:8880"},
			check: func(c config.Config) bool {
				return c.STT == "openai" && c.STTURL == "https://api.example.com" && c.STTModel == "whisper-1" && c.TTSModel == "tts-1" && c.TTSVoice == "alloy"
			}},
		{name: "debug listener off by default", env: nil,
			check: func(c config.Config) bool { return c.DebugAddr == "" }},
		{name: "debug listener on loopback", env: map[string]string{"AVATAR_EDGE_DEBUG_ADDR": "127.0.0.1:6060"},
			check: func(c config.Config) bool { return c.DebugAddr == "127.0.0.1:6060" }},
		{name: "debug listener on IPv6 loopback", env: map[string]string{"AVATAR_EDGE_DEBUG_ADDR": "[::1]:0"},
			check: func(c config.Config) bool { return c.DebugAddr == "[::1]:0" }},
		{name: "LM weight and drain", env: map[string]string{"AVATAR_STT_LM_WEIGHT": "0.7", "AVATAR_SHUTDOWN_TIMEOUT": "1m"},
			check: func(c config.Config) bool { return c.STTLMWeight == 0.7 && c.ShutdownTimeout.Minutes() == 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("parsed %+v", c)
			}
		})
	}
}
