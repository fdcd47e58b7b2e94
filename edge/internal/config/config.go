package config

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/platform/cors"
	"github.com/avatar-fi/avatar/platform/envconfig"
)

// ErrInvalid wraps every validation failure. It is the shared loader's sentinel, so
// errors.Is works with either name.
var ErrInvalid = envconfig.ErrInvalid

// Config is the edge's configuration. Each field names its variable and
// default.
type Config struct {
	// Addr is the HTTP listen address (signalling, Connect, health,
	// metrics). AVATAR_EDGE_ADDR, default ":8090".
	Addr string
	// UDPPort is the one media port of every call. AVATAR_EDGE_UDP_PORT,
	// default 8091.
	UDPPort int
	// CoreURL is where the edge finds the core (JWKS). AVATAR_CORE_URL,
	// default "http://127.0.0.1:8080".
	CoreURL string
	// TokenIssuer is the iss of access tokens: the core's public URL.
	// AVATAR_TOKEN_ISSUER, default AVATAR_PUBLIC_URL, else
	// "http://localhost:8080" (the core's default).
	TokenIssuer string
	// Region is this edge's region. AVATAR_REGION, default "local".
	Region string
	// EdgeID names this edge in heartbeats. AVATAR_EDGE_ID, default the
	// host name.
	EdgeID string
	// PublicURL is the URL clients reach this edge at, sent in heartbeats.
	// AVATAR_EDGE_URL, default "http://<host name><Addr>".
	PublicURL string
	// NATSURL is the NATS server. AVATAR_NATS_URL, default
	// "nats://127.0.0.1:4222".
	NATSURL string
	// PublicIPs replace the host candidates' addresses (NAT 1:1), comma
	// separated. AVATAR_EDGE_PUBLIC_IP, optional.
	PublicIPs []string
	// ICEServers are STUN/TURN URLs, comma separated. AVATAR_ICE_SERVERS,
	// optional; TURN credentials from AVATAR_TURN_USERNAME and
	// AVATAR_TURN_CREDENTIAL.
	ICEServers     []string
	TURNUsername   string
	TURNCredential string
	// MaxCalls is the edge's capacity: beyond it new calls get 503 with
	// Retry-After, and heartbeats advertise it. AVATAR_EDGE_MAX_CALLS,
	// default rtc.DefaultMaxCalls: what one edge held with the embedded
	// engines on a 2-core machine (make capacity);
	// measure again for other hardware or engines.
	MaxCalls int
	// DebugAddr, when set, serves net/http/pprof (/debug/pprof/) on this
	// loopback address, with block and mutex profiling on (which costs a
	// little on every contended lock and channel wait: a measurement
	// setting, not a production one). The density and capacity runs
	// (loadtest/density.sh) profile the edge through it.
	// AVATAR_EDGE_DEBUG_ADDR, default "" (off); a host other than
	// 127.0.0.1, ::1 or localhost is refused.
	DebugAddr string
	// ShutdownTimeout bounds the drain on SIGTERM. AVATAR_SHUTDOWN_TIMEOUT,
	// a positive duration, default 30s.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error. AVATAR_LOG_LEVEL, default
	// "info".
	LogLevel string

	// VAD is the voice activity detector: silero (Silero VAD v5 behind an
	// energy gate) or energy. AVATAR_VAD, default "silero".
	VAD string
	// TurnThreshold is the odds that a pause ends the trainee's turn at
	// which the edge takes the turn (media/endpoint Config.Threshold):
	// higher cuts in less and answers later. AVATAR_TURN_THRESHOLD,
	// default endpoint.DefaultThreshold.
	TurnThreshold float64
	// TurnHabits makes the end of turn learn the trainee's own pauses
	// during the call (media/endpoint Config.LearnHabits), so that one
	// who pauses long inside turns is waited for. AVATAR_TURN_HABITS,
	// default false.
	TurnHabits bool
	// ModelsDir holds silero_vad.onnx and libonnxruntime.so.1.
	// AVATAR_MODELS_DIR, default "/var/cache/avatar-dev/models"
	// (deploy/dev/models.sh puts them there).
	ModelsDir string

	// STT is pocketsphinx, openai or deepgram. AVATAR_STT, default
	// "pocketsphinx".
	STT string
	// STTLM is a domain language model interpolated with the generic one
	// (pocketsphinx). AVATAR_STT_LM, optional; AVATAR_STT_LM_WEIGHT,
	// default 0.5.
	STTLM       string
	STTLMWeight float64
	// STTURL, STTAPIKey, STTModel configure the STT provider:
	// AVATAR_STT_URL (required for openai and deepgram), AVATAR_STT_API_KEY,
	// AVATAR_STT_MODEL (default "whisper-1" for openai, "nova-2" for
	// deepgram).
	STTURL, STTAPIKey, STTModel string
	// TTS is flite (embedded Flite CMU voices), espeak (embedded eSpeak NG)
	// or openai. AVATAR_TTS, default "flite".
	TTS string
	// TTSURL, TTSAPIKey, TTSModel, TTSVoice configure the TTS provider:
	// AVATAR_TTS_URL (required for openai), AVATAR_TTS_API_KEY,
	// AVATAR_TTS_MODEL (default "tts-1"), AVATAR_TTS_VOICE (the default
	// voice, the coach's; personas have their own: for flite one of slt, rms,
	// awb, kal, default "slt"; for espeak an eSpeak voice, default "en-us";
	// for openai default "alloy").
	TTSURL, TTSAPIKey, TTSModel, TTSVoice string

	// EdgeAPIKey is the edge's service key (ROLE_EDGE_SERVICE) for calls to
	// the core when a trainee's access token has expired mid-session (a
	// voice call outlives a 15-minute token). AVATAR_EDGE_API_KEY, optional.
	EdgeAPIKey string
	// RedisURL backs the chat and call-start rate limits so that every edge
	// shares one budget per user; while it is unreachable each edge limits
	// on its own. AVATAR_REDIS_URL, default "redis://127.0.0.1:6379/0".
	RedisURL string
	// LLMURL, when set, makes the coach and the role-play customer speak
	// through an OpenAI-compatible chat completions server (vLLM, Ollama,
	// llama.cpp server, OpenAI); the scenario state machine still decides
	// the customer's moves. AVATAR_LLM_URL, optional; AVATAR_LLM_API_KEY,
	// AVATAR_LLM_MODEL (default "gpt-4o-mini").
	LLMURL, LLMAPIKey, LLMModel string
	// SessionIdle ends a session with no activity and no live call.
	// AVATAR_SESSION_IDLE_TIMEOUT, default 30m.
	SessionIdle time.Duration
	// CORSOrigins are the browser origins allowed to call (the web app's),
	// comma-separated. AVATAR_CORS_ORIGINS, default
	// "http://localhost:5173,http://localhost:8080" (Vite's dev server and
	// the core, which serves the app).
	CORSOrigins []string
}

// Load reads the configuration through getenv (os.Getenv in main). The first
// invalid variable is reported as "AVATAR_X: what is wrong"; the error wraps
// ErrInvalid.
func Load(getenv func(string) string) (Config, error) {
	r := envconfig.New(getenv)
	host, _ := os.Hostname()
	c := Config{
		Addr:            r.Addr("AVATAR_EDGE_ADDR", ":8090"),
		UDPPort:         r.Int("AVATAR_EDGE_UDP_PORT", 8091, 1, 65535),
		CoreURL:         r.URL("AVATAR_CORE_URL", "http://127.0.0.1:8080", "http", "https"),
		Region:          r.String("AVATAR_REGION", "local"),
		EdgeID:          r.String("AVATAR_EDGE_ID", host),
		NATSURL:         r.URL("AVATAR_NATS_URL", "nats://127.0.0.1:4222", "nats", "tls"),
		PublicIPs:       r.IPs("AVATAR_EDGE_PUBLIC_IP"),
		ICEServers:      r.List("AVATAR_ICE_SERVERS", "", checkICEServer),
		TURNUsername:    r.String("AVATAR_TURN_USERNAME", ""),
		TURNCredential:  r.String("AVATAR_TURN_CREDENTIAL", ""),
		MaxCalls:        r.Int("AVATAR_EDGE_MAX_CALLS", rtc.DefaultMaxCalls, 1, 100000),
		DebugAddr:       r.String("AVATAR_EDGE_DEBUG_ADDR", ""),
		ShutdownTimeout: r.Duration("AVATAR_SHUTDOWN_TIMEOUT", 30*time.Second),
		LogLevel:        r.OneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		VAD:             r.OneOf("AVATAR_VAD", "silero", "silero", "energy"),
		TurnThreshold:   r.Float("AVATAR_TURN_THRESHOLD", endpoint.DefaultThreshold, 0.1, 100),
		TurnHabits:      r.Bool("AVATAR_TURN_HABITS", false),
		ModelsDir:       r.String("AVATAR_MODELS_DIR", "/var/cache/avatar-dev/models"),
		STT:             r.OneOf("AVATAR_STT", "pocketsphinx", "pocketsphinx", "openai", "deepgram"),
		STTLM:           r.File("AVATAR_STT_LM"),
		STTLMWeight:     r.Fraction("AVATAR_STT_LM_WEIGHT", 0.5),
		STTURL:          r.URL("AVATAR_STT_URL", "", "http", "https", "ws", "wss"),
		STTAPIKey:       r.String("AVATAR_STT_API_KEY", ""),
		TTS:             r.OneOf("AVATAR_TTS", "flite", "flite", "espeak", "openai"),
		TTSURL:          r.URL("AVATAR_TTS_URL", "", "http", "https"),
		TTSAPIKey:       r.String("AVATAR_TTS_API_KEY", ""),
		EdgeAPIKey:      r.String("AVATAR_EDGE_API_KEY", ""),
		RedisURL:        r.URL("AVATAR_REDIS_URL", "redis://127.0.0.1:6379/0", "redis", "rediss"),
		LLMURL:          r.URL("AVATAR_LLM_URL", "", "http", "https"),
		LLMAPIKey:       r.String("AVATAR_LLM_API_KEY", ""),
		LLMModel:        r.String("AVATAR_LLM_MODEL", "gpt-4o-mini"),
		SessionIdle:     r.Duration("AVATAR_SESSION_IDLE_TIMEOUT", 30*time.Minute),
		CORSOrigins:     r.List("AVATAR_CORS_ORIGINS", "http://localhost:5173,http://localhost:8080", cors.CheckOrigin),
	}
	// The token issuer is the core's public URL: unless AVATAR_TOKEN_ISSUER is set,
	// the edge reads the core's variable, and a bad value is reported under its name.
	if _, set := r.Lookup("AVATAR_TOKEN_ISSUER"); set {
		c.TokenIssuer = r.URL("AVATAR_TOKEN_ISSUER", "", "http", "https")
	} else {
		c.TokenIssuer = r.URL("AVATAR_PUBLIC_URL", "http://localhost:8080", "http", "https")
	}
	c.PublicURL = r.URL("AVATAR_EDGE_URL", "http://"+host+portOf(c.Addr), "http", "https")
	switch c.STT {
	case "openai":
		c.STTModel = r.String("AVATAR_STT_MODEL", "whisper-1")
	case "deepgram":
		c.STTModel = r.String("AVATAR_STT_MODEL", "nova-2")
	}
	c.TTSModel = r.String("AVATAR_TTS_MODEL", "tts-1")
	switch c.TTS {
	case "flite":
		c.TTSVoice = r.OneOf("AVATAR_TTS_VOICE", "slt", "slt", "rms", "awb", "kal")
	case "espeak":
		c.TTSVoice = r.String("AVATAR_TTS_VOICE", "en-us")
	default:
		c.TTSVoice = r.String("AVATAR_TTS_VOICE", "alloy")
	}
	if c.DebugAddr != "" {
		c.DebugAddr = r.Addr("AVATAR_EDGE_DEBUG_ADDR", "")
		if host, _, err := net.SplitHostPort(c.DebugAddr); err == nil && !loopback(host) {
			r.Fail("AVATAR_EDGE_DEBUG_ADDR", fmt.Sprintf("host %q is not loopback: the debug listener serves profiles to anyone who reaches it", host))
		}
	}
	// Rules across variables; the Reader keeps only the first problem.
	if c.STT != "pocketsphinx" && c.STTURL == "" {
		r.Fail("AVATAR_STT_URL", "is required when AVATAR_STT is "+c.STT)
	}
	if c.TTS == "openai" && c.TTSURL == "" {
		r.Fail("AVATAR_TTS_URL", "is required when AVATAR_TTS is openai")
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// loopback reports whether host is a loopback IP or "localhost".
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ""
}

// checkICEServer accepts a STUN or TURN URI (RFC 7064, RFC 7065).
func checkICEServer(s string) error {
	for _, scheme := range []string{"stun:", "turn:", "turns:"} {
		if strings.HasPrefix(s, scheme) {
			return nil
		}
	}
	return fmt.Errorf("%q is not a stun:, turn: or turns: URL", s)
}
