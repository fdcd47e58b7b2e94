package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/platform/envconfig"
)

// ErrInvalid is wrapped by every validation error Load returns. It is the shared
// loader's sentinel, so errors.Is works with either name.
var ErrInvalid = envconfig.ErrInvalid

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
	// AVATAR_SHUTDOWN_TIMEOUT, a positive duration, default 20s.
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
	// ID names the key; it is stored beside each ciphertext the key encrypts.
	ID string
	// Key is the 32-byte AES-256 key.
	Key []byte
}

// Load builds a Config from getenv (os.Getenv in main). The first invalid variable is
// reported as "AVATAR_X: what is wrong"; the error wraps ErrInvalid.
func Load(getenv func(string) string) (Config, error) {
	r := envconfig.New(getenv)
	c := Config{
		Addr:                r.Addr("AVATAR_CORE_ADDR", ":8080"),
		DatabaseURL:         r.URL("AVATAR_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avatar?sslmode=disable", "postgres", "postgresql"),
		DatabaseReadURL:     r.URL("AVATAR_DATABASE_READ_URL", "", "postgres", "postgresql"),
		DatabaseMaxConns:    int32(r.Int("AVATAR_DATABASE_MAX_CONNS", 20, 1, 1000)),
		RedisURL:            r.URL("AVATAR_REDIS_URL", "redis://127.0.0.1:6379/0", "redis", "rediss"),
		NATSURL:             strings.Join(r.URLs("AVATAR_NATS_URL", "", "nats", "tls"), ","),
		NATSEmbeddedAddr:    r.Addr("AVATAR_NATS_EMBEDDED_ADDR", "127.0.0.1:4223"),
		NATSStoreDir:        r.String("AVATAR_NATS_STORE_DIR", ".data/nats"),
		LogLevel:            r.OneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownTimeout:     r.Duration("AVATAR_SHUTDOWN_TIMEOUT", 20*time.Second),
		MaxRequestBytes:     int64(r.Int("AVATAR_MAX_REQUEST_BYTES", 1<<20, 1024, 1<<30)),
		CORSOrigins:         r.List("AVATAR_CORS_ORIGINS", "http://localhost:5173", checkOrigin),
		PublicURL:           r.URL("AVATAR_PUBLIC_URL", "http://localhost:8080", "http", "https"),
		BootstrapEmail:      r.String("AVATAR_BOOTSTRAP_EMAIL", ""),
		BootstrapPassword:   r.String("AVATAR_BOOTSTRAP_PASSWORD", ""),
		EncryptionKeys:      encryptionKeys(r.Keys("AVATAR_ENCRYPTION_KEYS", 32)),
		OTLPEndpoint:        r.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
		MaxUploadBytes:      int64(r.Int("AVATAR_MAX_UPLOAD_BYTES", 50<<20, 1024, 1<<30)),
		Embedder:            r.OneOf("AVATAR_EMBEDDER", "hashed", "hashed", "openai"),
		EmbeddingsURL:       r.URL("AVATAR_EMBEDDINGS_URL", "", "http", "https"),
		EmbeddingsAPIKey:    r.String("AVATAR_EMBEDDINGS_API_KEY", ""),
		EmbeddingsModel:     r.String("AVATAR_EMBEDDINGS_MODEL", "text-embedding-3-small"),
		WebhookAllowPrivate: r.Bool("AVATAR_WEBHOOK_ALLOW_PRIVATE", false),
	}
	defDims := 384
	if c.Embedder == "openai" {
		defDims = 1536
	}
	c.EmbeddingsDims = r.Int("AVATAR_EMBEDDINGS_DIMS", defDims, 16, 2000)
	// Rules across variables; the Reader keeps only the first problem.
	if c.Embedder == "openai" && c.EmbeddingsURL == "" {
		r.Fail("AVATAR_EMBEDDINGS_URL", "is required when AVATAR_EMBEDDER is openai")
	}
	if (c.BootstrapEmail == "") != (c.BootstrapPassword == "") {
		r.Fail("AVATAR_BOOTSTRAP_PASSWORD", "AVATAR_BOOTSTRAP_EMAIL and AVATAR_BOOTSTRAP_PASSWORD must be set together")
	}
	if c.BootstrapPassword != "" && len(c.BootstrapPassword) < 12 {
		r.Fail("AVATAR_BOOTSTRAP_PASSWORD", "must be at least 12 characters")
	}
	if c.BootstrapEmail != "" && !strings.Contains(c.BootstrapEmail, "@") {
		r.Fail("AVATAR_BOOTSTRAP_EMAIL", fmt.Sprintf("%q is not an email address", c.BootstrapEmail))
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkOrigin accepts "*" or an http(s) origin such as https://app.example.com.
func checkOrigin(o string) error {
	if o == "*" || envconfig.CheckURL(o, "http", "https") == nil {
		return nil
	}
	return fmt.Errorf("origin %q must be like https://app.example.com", o)
}

func encryptionKeys(ks []envconfig.Key) []EncryptionKey {
	var out []EncryptionKey
	for _, k := range ks {
		out = append(out, EncryptionKey{ID: k.ID, Key: k.Bytes})
	}
	return out
}
