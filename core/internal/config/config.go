package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/platform/cors"
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
	// NATSStreamReplicas is how many NATS servers keep each stream: 3 in a cluster.
	// AVATAR_NATS_STREAM_REPLICAS, 1 to 5, default 1.
	NATSStreamReplicas int
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
	// WebEdgeURL is the edge the web app calls until RegionService/PickEdge names
	// one; the app reads it from /config.json. AVATAR_WEB_EDGE_URL, default
	// "http://localhost:8090".
	WebEdgeURL string
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
	// RegionOrder says where PickEdge looks when the caller's region has no edge that
	// takes calls: one route per caller region, separated by semicolons, each the region,
	// a colon and the regions to try next, nearest first, as in
	// "us-east:us-west,eu-central;us-west:us-east,eu-central;eu-central:us-east,us-west".
	// The first route's region is the home region of callers that name none. Regions a
	// route leaves out come last, the edge with the most headroom first. Names are lower
	// case letters, digits, "-" and "_" (case is folded). AVATAR_REGION_ORDER, default
	// empty: no home region, and every other region equally near.
	RegionOrder []RegionRoute
	// EdgeHeartbeatTimeout is how long an edge may go without a heartbeat before it takes
	// no new call; edges heartbeat every 5 s. AVATAR_EDGE_HEARTBEAT_TIMEOUT, at least
	// 10s (two heartbeats: one lost heartbeat must not take an edge out), default 15s.
	EdgeHeartbeatTimeout time.Duration
	// EdgeMaxCPU is the CPU load (a fraction of the edge machine's cores) above which an
	// edge takes no new call, whatever its free slots. AVATAR_EDGE_MAX_CPU, from 0.05 to
	// 1 (1 turns the check off), default 0.9.
	EdgeMaxCPU float64
}

// RegionRoute is one caller region's route in AVATAR_REGION_ORDER.
type RegionRoute struct {
	// Region is the caller's region.
	Region string
	// Next are the regions to try after Region, nearest first.
	Next []string
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
		NATSStreamReplicas:  r.Int("AVATAR_NATS_STREAM_REPLICAS", 1, 1, 5),
		LogLevel:            r.OneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownTimeout:     r.Duration("AVATAR_SHUTDOWN_TIMEOUT", 20*time.Second),
		MaxRequestBytes:     int64(r.Int("AVATAR_MAX_REQUEST_BYTES", 1<<20, 1024, 1<<30)),
		CORSOrigins:         r.List("AVATAR_CORS_ORIGINS", "http://localhost:5173", cors.CheckOrigin),
		WebEdgeURL:          r.URL("AVATAR_WEB_EDGE_URL", "http://localhost:8090", "http", "https"),
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
	c.EdgeHeartbeatTimeout = r.Duration("AVATAR_EDGE_HEARTBEAT_TIMEOUT", 15*time.Second)
	c.EdgeMaxCPU = r.Float("AVATAR_EDGE_MAX_CPU", 0.9, 0.05, 1)
	if v, ok := r.Lookup("AVATAR_REGION_ORDER"); ok {
		routes, err := parseRegionOrder(v)
		if err != nil {
			r.Fail("AVATAR_REGION_ORDER", err.Error())
		}
		c.RegionOrder = routes
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
	if c.EdgeHeartbeatTimeout < 10*time.Second {
		r.Fail("AVATAR_EDGE_HEARTBEAT_TIMEOUT", fmt.Sprintf("%q must be at least 10s: edges heartbeat every 5s, and one lost heartbeat must not take an edge out", c.EdgeHeartbeatTimeout.String()))
	}
	if c.BootstrapEmail != "" && !strings.Contains(c.BootstrapEmail, "@") {
		r.Fail("AVATAR_BOOTSTRAP_EMAIL", fmt.Sprintf("%q is not an email address", c.BootstrapEmail))
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func encryptionKeys(ks []envconfig.Key) []EncryptionKey {
	var out []EncryptionKey
	for _, k := range ks {
		out = append(out, EncryptionKey{ID: k.ID, Key: k.Bytes})
	}
	return out
}

// parseRegionOrder reads AVATAR_REGION_ORDER (see Config.RegionOrder). A region may have
// one route, and a route may not name its own region or a region twice.
func parseRegionOrder(v string) ([]RegionRoute, error) {
	var routes []RegionRoute
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, rest, _ := strings.Cut(part, ":")
		from = strings.ToLower(strings.TrimSpace(from))
		if !regionName(from) {
			return nil, fmt.Errorf("%q is not a region name (letters, digits, - and _) in route %q; want routes like us-east:us-west,eu-central;us-west:us-east", from, part)
		}
		if seen[from] {
			return nil, fmt.Errorf("region %q has two routes", from)
		}
		seen[from] = true
		route := RegionRoute{Region: from}
		inRoute := map[string]bool{from: true}
		for next := range strings.SplitSeq(rest, ",") {
			next = strings.ToLower(strings.TrimSpace(next))
			switch {
			case next == "":
				continue
			case !regionName(next):
				return nil, fmt.Errorf("%q is not a region name (letters, digits, - and _) in route %q", next, part)
			case inRoute[next]:
				return nil, fmt.Errorf("route %q names %q twice (a region is tried first in its own route)", part, next)
			}
			inRoute[next] = true
			route.Next = append(route.Next, next)
		}
		routes = append(routes, route)
	}
	return routes, nil
}

// regionName reports whether s is a region name: 1 to 64 lower-case letters, digits, "-"
// and "_", so that it is also one NATS subject token.
func regionName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
