// Package config reads the edge's configuration from AVATAR_* environment
// variables, applies defaults and validates every value; a bad value is
// reported as "AVATAR_X: what is wrong". Only this package and cmd/ read the
// environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid wraps every validation failure.
var ErrInvalid = errors.New("invalid configuration")

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
	// MaxCalls is the call limit. AVATAR_EDGE_MAX_CALLS, default 100.
	MaxCalls int
	// ShutdownTimeout bounds the drain on SIGTERM. AVATAR_SHUTDOWN_TIMEOUT,
	// default 30s.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error. AVATAR_LOG_LEVEL, default
	// "info".
	LogLevel string

	// VAD is the voice activity detector: silero (Silero VAD v5 behind an
	// energy gate) or energy. AVATAR_VAD, default "silero".
	VAD string
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
	// TTS is espeak or openai. AVATAR_TTS, default "espeak".
	TTS string
	// TTSURL, TTSAPIKey, TTSModel, TTSVoice configure the TTS provider:
	// AVATAR_TTS_URL (required for openai), AVATAR_TTS_API_KEY,
	// AVATAR_TTS_MODEL (default "tts-1"), AVATAR_TTS_VOICE (default "alloy";
	// for espeak, an eSpeak voice, default "en-us").
	TTSURL, TTSAPIKey, TTSModel, TTSVoice string
}

// Load reads the configuration through getenv (os.Getenv in main).
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	host, _ := os.Hostname()
	c := Config{
		Addr:            l.addr("AVATAR_EDGE_ADDR", ":8090"),
		UDPPort:         l.intRange("AVATAR_EDGE_UDP_PORT", 8091, 1, 65535),
		CoreURL:         l.url("AVATAR_CORE_URL", "http://127.0.0.1:8080", "http", "https"),
		Region:          l.str("AVATAR_REGION", "local"),
		EdgeID:          l.str("AVATAR_EDGE_ID", host),
		NATSURL:         l.url("AVATAR_NATS_URL", "nats://127.0.0.1:4222", "nats", "tls"),
		PublicIPs:       l.ips("AVATAR_EDGE_PUBLIC_IP"),
		ICEServers:      l.iceServers("AVATAR_ICE_SERVERS"),
		TURNUsername:    l.str("AVATAR_TURN_USERNAME", ""),
		TURNCredential:  l.str("AVATAR_TURN_CREDENTIAL", ""),
		MaxCalls:        l.intRange("AVATAR_EDGE_MAX_CALLS", 100, 1, 100000),
		ShutdownTimeout: l.duration("AVATAR_SHUTDOWN_TIMEOUT", 30*time.Second),
		LogLevel:        l.oneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		VAD:             l.oneOf("AVATAR_VAD", "silero", "silero", "energy"),
		ModelsDir:       l.str("AVATAR_MODELS_DIR", "/var/cache/avatar-dev/models"),
		STT:             l.oneOf("AVATAR_STT", "pocketsphinx", "pocketsphinx", "openai", "deepgram"),
		STTLM:           l.file("AVATAR_STT_LM"),
		STTLMWeight:     l.fraction("AVATAR_STT_LM_WEIGHT", 0.5),
		STTURL:          l.url("AVATAR_STT_URL", "", "http", "https", "ws", "wss"),
		STTAPIKey:       l.str("AVATAR_STT_API_KEY", ""),
		TTS:             l.oneOf("AVATAR_TTS", "espeak", "espeak", "openai"),
		TTSURL:          l.url("AVATAR_TTS_URL", "", "http", "https"),
		TTSAPIKey:       l.str("AVATAR_TTS_API_KEY", ""),
	}
	c.TokenIssuer = l.url("AVATAR_TOKEN_ISSUER", l.str("AVATAR_PUBLIC_URL", "http://localhost:8080"), "http", "https")
	c.PublicURL = l.url("AVATAR_EDGE_URL", "http://"+host+portOf(c.Addr), "http", "https")
	switch c.STT {
	case "openai":
		c.STTModel = l.str("AVATAR_STT_MODEL", "whisper-1")
	case "deepgram":
		c.STTModel = l.str("AVATAR_STT_MODEL", "nova-2")
	}
	c.TTSModel = l.str("AVATAR_TTS_MODEL", "tts-1")
	if c.TTS == "espeak" {
		c.TTSVoice = l.str("AVATAR_TTS_VOICE", "en-us")
	} else {
		c.TTSVoice = l.str("AVATAR_TTS_VOICE", "alloy")
	}
	if l.err == nil && c.STT != "pocketsphinx" && c.STTURL == "" {
		l.fail("AVATAR_STT_URL", "is required when AVATAR_STT is "+c.STT)
	}
	if l.err == nil && c.TTS == "openai" && c.TTSURL == "" {
		l.fail("AVATAR_TTS_URL", "is required when AVATAR_TTS is openai")
	}
	if l.err != nil {
		return Config{}, l.err
	}
	return c, nil
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ""
}

type loader struct {
	getenv func(string) string
	err    error
}

func (l *loader) fail(name, msg string) {
	if l.err == nil {
		l.err = fmt.Errorf("%w: %s: %s", ErrInvalid, name, msg)
	}
}

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

func (l *loader) addr(name, def string) string {
	v := l.str(name, def)
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		l.fail(name, fmt.Sprintf("%q is not a host:port address", v))
	}
	return v
}

func (l *loader) url(name, def string, schemes ...string) string {
	v := l.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		l.fail(name, fmt.Sprintf("%q is not a URL", v))
		return v
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return strings.TrimRight(v, "/")
		}
	}
	l.fail(name, fmt.Sprintf("scheme %q, want one of %s", u.Scheme, strings.Join(schemes, ", ")))
	return v
}

func (l *loader) intRange(name string, def, lo, hi int) int {
	v := l.getenv(name)
	if strings.TrimSpace(v) == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		l.fail(name, fmt.Sprintf("%q is not an integer in %d..%d", v, lo, hi))
		return def
	}
	return n
}

func (l *loader) fraction(name string, def float64) float64 {
	v := l.getenv(name)
	if strings.TrimSpace(v) == "" {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f > 0 && f < 1) {
		l.fail(name, fmt.Sprintf("%q is not a number between 0 and 1", v))
		return def
	}
	return f
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.getenv(name)
	if strings.TrimSpace(v) == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		l.fail(name, fmt.Sprintf("%q is not a duration like 30s", v))
		return def
	}
	return d
}

func (l *loader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(l.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.fail(name, fmt.Sprintf("%q, want one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (l *loader) file(name string) string {
	v := l.str(name, "")
	if v == "" {
		return ""
	}
	if st, err := os.Stat(v); err != nil || st.IsDir() {
		l.fail(name, fmt.Sprintf("%q is not a readable file", v))
	}
	return v
}

func (l *loader) ips(name string) []string {
	var out []string
	for _, f := range strings.Split(l.str(name, ""), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if net.ParseIP(f) == nil {
			l.fail(name, fmt.Sprintf("%q is not an IP address", f))
		}
		out = append(out, f)
	}
	return out
}

func (l *loader) iceServers(name string) []string {
	var out []string
	for _, f := range strings.Split(l.str(name, ""), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.HasPrefix(f, "stun:") && !strings.HasPrefix(f, "turn:") && !strings.HasPrefix(f, "turns:") {
			l.fail(name, fmt.Sprintf("%q is not a stun:, turn: or turns: URL", f))
		}
		out = append(out, f)
	}
	return out
}
