package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every validation error Load returns.
var ErrInvalid = errors.New("invalid configuration")

// Config is the core's configuration. Every field names the variable it comes from and
// its default; README.md carries the same table.
type Config struct {
	// Addr is the HTTP listen address for Connect, gRPC, gRPC-Web, health and metrics.
	// AVATAR_CORE_ADDR, default ":8080".
	Addr string
	// DatabaseURL is the primary PostgreSQL DSN. AVATAR_DATABASE_URL, default
	// "postgres://postgres@127.0.0.1:5432/avatar?sslmode=disable".
	DatabaseURL string
	// DatabaseReadURL is an optional read replica for read-only queries; empty means the
	// primary serves reads too. AVATAR_DATABASE_READ_URL.
	DatabaseReadURL string
	// DatabaseMaxConns caps each pool. AVATAR_DATABASE_MAX_CONNS, default 20.
	DatabaseMaxConns int32
	// RedisURL is the Redis URL for cache and rate limits. AVATAR_REDIS_URL, default
	// "redis://127.0.0.1:6379/0".
	RedisURL string
	// NATSURL is the NATS server; empty starts an embedded JetStream server in the core.
	// AVATAR_NATS_URL.
	NATSURL string
	// NATSEmbeddedAddr is where the embedded NATS server listens when NATSURL is empty, so
	// edges on the same machine can reach it. AVATAR_NATS_EMBEDDED_ADDR, default "127.0.0.1:4223".
	NATSEmbeddedAddr string
	// NATSStoreDir is the embedded server's JetStream directory. AVATAR_NATS_STORE_DIR,
	// default ".data/nats".
	NATSStoreDir string
	// LogLevel is debug, info, warn or error. AVATAR_LOG_LEVEL, default "info".
	LogLevel string
	// ShutdownTimeout bounds the drain of in-flight calls on SIGTERM.
	// AVATAR_SHUTDOWN_TIMEOUT, default 20s.
	ShutdownTimeout time.Duration
	// MaxRequestBytes caps a unary request body. AVATAR_MAX_REQUEST_BYTES, default 1 MiB.
	MaxRequestBytes int64
	// CORSOrigins lists browser origins allowed to call the API, comma-separated.
	// AVATAR_CORS_ORIGINS, default "http://localhost:5173".
	CORSOrigins []string
	// PublicURL is the issuer and the base URL clients reach the core at.
	// AVATAR_PUBLIC_URL, default "http://localhost:8080".
	PublicURL string
	// BootstrapEmail and BootstrapPassword create the super admin on first start when no
	// user exists. AVATAR_BOOTSTRAP_EMAIL, AVATAR_BOOTSTRAP_PASSWORD.
	BootstrapEmail    string
	BootstrapPassword string
	// EncryptionKeys encrypt secrets at rest: "id:base64key,id2:base64key2", 32-byte keys,
	// the first one encrypts. AVATAR_ENCRYPTION_KEYS; empty uses a development key and logs
	// a warning.
	EncryptionKeys []EncryptionKey
	// OTLPEndpoint enables trace export when set. OTEL_EXPORTER_OTLP_ENDPOINT (standard name).
	OTLPEndpoint string
	// MaxUploadBytes caps one uploaded knowledge document. AVATAR_MAX_UPLOAD_BYTES,
	// default 50 MiB.
	MaxUploadBytes int64
	// Embedder chooses the knowledge embedder: "hashed" (embedded, no network) or
	// "openai" (an OpenAI-compatible /v1/embeddings server). AVATAR_EMBEDDER, default "hashed".
	Embedder string
	// EmbeddingsURL is the provider's base URL, e.g. https://api.openai.com/v1; required
	// when Embedder is "openai". AVATAR_EMBEDDINGS_URL.
	EmbeddingsURL string
	// EmbeddingsAPIKey is sent as a Bearer token. AVATAR_EMBEDDINGS_API_KEY.
	EmbeddingsAPIKey string
	// EmbeddingsModel is the provider's model name. AVATAR_EMBEDDINGS_MODEL, default
	// "text-embedding-3-small".
	EmbeddingsModel string
	// EmbeddingsDims is the embedder's vector dimension; changing it (or the model)
	// queues re-embedding. AVATAR_EMBEDDINGS_DIMS, default 384 for "hashed", 1536 for "openai".
	EmbeddingsDims int
	// WebhookAllowPrivate lets knowledge webhooks target private and loopback addresses.
	// AVATAR_WEBHOOK_ALLOW_PRIVATE, default false.
	WebhookAllowPrivate bool
}

// EncryptionKey is one AES-256 key with the id stored beside each ciphertext.
type EncryptionKey struct {
	ID  string
	Key []byte
}

// Load builds a Config from getenv (os.Getenv in main). The first invalid variable is
// reported as "AVATAR_X: what is wrong"; the error wraps ErrInvalid.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	c := Config{
		Addr:                l.addr("AVATAR_CORE_ADDR", ":8080"),
		DatabaseURL:         l.postgresURL("AVATAR_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avatar?sslmode=disable", true),
		DatabaseReadURL:     l.postgresURL("AVATAR_DATABASE_READ_URL", "", false),
		DatabaseMaxConns:    int32(l.intRange("AVATAR_DATABASE_MAX_CONNS", 20, 1, 1000)),
		RedisURL:            l.urlScheme("AVATAR_REDIS_URL", "redis://127.0.0.1:6379/0", "redis", "rediss"),
		NATSURL:             l.urlSchemeOptional("AVATAR_NATS_URL", "nats", "tls"),
		NATSEmbeddedAddr:    l.addr("AVATAR_NATS_EMBEDDED_ADDR", "127.0.0.1:4223"),
		NATSStoreDir:        l.str("AVATAR_NATS_STORE_DIR", ".data/nats"),
		LogLevel:            l.oneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownTimeout:     l.duration("AVATAR_SHUTDOWN_TIMEOUT", 20*time.Second),
		MaxRequestBytes:     int64(l.intRange("AVATAR_MAX_REQUEST_BYTES", 1<<20, 1024, 1<<30)),
		CORSOrigins:         l.origins("AVATAR_CORS_ORIGINS", "http://localhost:5173"),
		PublicURL:           l.urlScheme("AVATAR_PUBLIC_URL", "http://localhost:8080", "http", "https"),
		BootstrapEmail:      l.str("AVATAR_BOOTSTRAP_EMAIL", ""),
		BootstrapPassword:   l.str("AVATAR_BOOTSTRAP_PASSWORD", ""),
		EncryptionKeys:      l.keys("AVATAR_ENCRYPTION_KEYS"),
		OTLPEndpoint:        l.str("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
		MaxUploadBytes:      int64(l.intRange("AVATAR_MAX_UPLOAD_BYTES", 50<<20, 1024, 1<<30)),
		Embedder:            l.oneOf("AVATAR_EMBEDDER", "hashed", "hashed", "openai"),
		EmbeddingsURL:       l.urlSchemeOptional("AVATAR_EMBEDDINGS_URL", "http", "https"),
		EmbeddingsAPIKey:    l.str("AVATAR_EMBEDDINGS_API_KEY", ""),
		EmbeddingsModel:     l.str("AVATAR_EMBEDDINGS_MODEL", "text-embedding-3-small"),
		WebhookAllowPrivate: l.boolean("AVATAR_WEBHOOK_ALLOW_PRIVATE"),
	}
	defDims := 384
	if c.Embedder == "openai" {
		defDims = 1536
	}
	c.EmbeddingsDims = l.intRange("AVATAR_EMBEDDINGS_DIMS", defDims, 16, 2000)
	if l.err == nil && c.Embedder == "openai" && c.EmbeddingsURL == "" {
		l.fail("AVATAR_EMBEDDINGS_URL", "is required when AVATAR_EMBEDDER is openai")
	}
	if l.err == nil && (c.BootstrapEmail == "") != (c.BootstrapPassword == "") {
		l.fail("AVATAR_BOOTSTRAP_PASSWORD", "AVATAR_BOOTSTRAP_EMAIL and AVATAR_BOOTSTRAP_PASSWORD must be set together")
	}
	if l.err == nil && c.BootstrapPassword != "" && len(c.BootstrapPassword) < 12 {
		l.fail("AVATAR_BOOTSTRAP_PASSWORD", "must be at least 12 characters")
	}
	if l.err == nil && c.BootstrapEmail != "" && !strings.Contains(c.BootstrapEmail, "@") {
		l.fail("AVATAR_BOOTSTRAP_EMAIL", fmt.Sprintf("%q is not an email address", c.BootstrapEmail))
	}
	if l.err != nil {
		return Config{}, l.err
	}
	return c, nil
}

// loader keeps the first error so Load reads as a flat list of fields.
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
	if v, ok := l.lookup(name); ok {
		return v
	}
	return def
}

func (l *loader) lookup(name string) (string, bool) {
	v := strings.TrimSpace(l.getenv(name))
	return v, v != ""
}

func (l *loader) boolean(name string) bool {
	v, ok := l.lookup(name)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, fmt.Sprintf("%q must be true or false", v))
	}
	return b
}

func (l *loader) addr(name, def string) string {
	v := l.str(name, def)
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		l.fail(name, fmt.Sprintf("%q is not host:port (e.g. :8080)", v))
		return def
	}
	_ = host
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		l.fail(name, fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
	return v
}

func (l *loader) postgresURL(name, def string, required bool) string {
	v := l.str(name, def)
	if v == "" {
		if required {
			l.fail(name, "is required")
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		l.fail(name, "must be a PostgreSQL URL like postgres://user@host:5432/db?sslmode=disable")
		return def
	}
	return v
}

func (l *loader) urlScheme(name, def string, schemes ...string) string {
	v := l.str(name, def)
	if !validURL(v, schemes) {
		l.fail(name, fmt.Sprintf("must be a URL with scheme %s and a host", strings.Join(schemes, " or ")))
		return def
	}
	return v
}

func (l *loader) urlSchemeOptional(name string, schemes ...string) string {
	v, ok := l.lookup(name)
	if !ok {
		return ""
	}
	for _, one := range strings.Split(v, ",") {
		if !validURL(strings.TrimSpace(one), schemes) {
			l.fail(name, fmt.Sprintf("must be a URL with scheme %s and a host (comma-separated for a cluster)", strings.Join(schemes, " or ")))
			return ""
		}
	}
	return v
}

func validURL(v string, schemes []string) bool {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return false
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return true
		}
	}
	return false
}

func (l *loader) intRange(name string, def, lo, hi int) int {
	v, ok := l.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		l.fail(name, fmt.Sprintf("%q must be an integer from %d to %d", v, lo, hi))
		return def
	}
	return n
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v, ok := l.lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail(name, fmt.Sprintf("%q must be a positive duration such as 20s", v))
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
	l.fail(name, fmt.Sprintf("%q must be one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (l *loader) origins(name, def string) []string {
	v := l.str(name, def)
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" && !validURL(o, []string{"http", "https"}) {
			l.fail(name, fmt.Sprintf("origin %q must be like https://app.example.com", o))
			return nil
		}
		out = append(out, o)
	}
	return out
}

func (l *loader) keys(name string) []EncryptionKey {
	v, ok := l.lookup(name)
	if !ok {
		return nil
	}
	var out []EncryptionKey
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		id, b64, found := strings.Cut(strings.TrimSpace(part), ":")
		if !found || id == "" {
			l.fail(name, "each key must be id:base64 (32 bytes), comma-separated")
			return nil
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) != 32 {
			l.fail(name, fmt.Sprintf("key %q must be 32 bytes of standard base64", id))
			return nil
		}
		if seen[id] {
			l.fail(name, fmt.Sprintf("key id %q appears twice", id))
			return nil
		}
		seen[id] = true
		out = append(out, EncryptionKey{ID: id, Key: key})
	}
	return out
}
