package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load with no variables: %v", err)
	}
	if c.Addr != ":8080" || c.NATSURL != "" || c.DatabaseReadURL != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.DatabaseMaxConns != 20 || c.ShutdownTimeout.Seconds() != 20 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.WebEdgeURL != "http://localhost:8090" {
		t.Fatalf("web edge URL default %q", c.WebEdgeURL)
	}
	if c.RegionOrder != nil || c.EdgeHeartbeatTimeout != 15*time.Second || c.EdgeMaxCPU != 0.9 {
		t.Fatalf("unexpected placement defaults: order %v, timeout %s, max CPU %g", c.RegionOrder, c.EdgeHeartbeatTimeout, c.EdgeMaxCPU)
	}
}

func TestLoadRegionOrder(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []config.RegionRoute
	}{
		{
			name:  "three regions",
			value: "us-east:us-west,eu-central;us-west:us-east,eu-central;eu-central:us-east,us-west",
			want: []config.RegionRoute{
				{Region: "us-east", Next: []string{"us-west", "eu-central"}},
				{Region: "us-west", Next: []string{"us-east", "eu-central"}},
				{Region: "eu-central", Next: []string{"us-east", "us-west"}},
			},
		},
		{
			name:  "spaces, case and empty parts",
			value: " US-East : us-west , ; ;eu_central",
			want:  []config.RegionRoute{{Region: "us-east", Next: []string{"us-west"}}, {Region: "eu_central"}},
		},
		{name: "home region only", value: "local", want: []config.RegionRoute{{Region: "local"}}},
		{name: "home region with a colon", value: "local:", want: []config.RegionRoute{{Region: "local"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{"AVATAR_REGION_ORDER": tt.value, "AVATAR_EDGE_HEARTBEAT_TIMEOUT": "10s", "AVATAR_EDGE_MAX_CPU": "1"}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(c.RegionOrder, tt.want) {
				t.Fatalf("order %+v, want %+v", c.RegionOrder, tt.want)
			}
			if c.EdgeHeartbeatTimeout != 10*time.Second || c.EdgeMaxCPU != 1 {
				t.Fatalf("timeout %s, max CPU %g: want 10s and 1", c.EdgeHeartbeatTimeout, c.EdgeMaxCPU)
			}
		})
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{name: "database url nonsense", env: map[string]string{"AVATAR_DATABASE_URL": "nonsense"}, wantVar: "AVATAR_DATABASE_URL"},
		{name: "database url wrong scheme", env: map[string]string{"AVATAR_DATABASE_URL": "mysql://x/y"}, wantVar: "AVATAR_DATABASE_URL"},
		{name: "read url nonsense", env: map[string]string{"AVATAR_DATABASE_READ_URL": "nonsense"}, wantVar: "AVATAR_DATABASE_READ_URL"},
		{name: "redis url", env: map[string]string{"AVATAR_REDIS_URL": "localhost:6379"}, wantVar: "AVATAR_REDIS_URL"},
		{name: "nats url", env: map[string]string{"AVATAR_NATS_URL": "http://x:4222"}, wantVar: "AVATAR_NATS_URL"},
		{name: "addr", env: map[string]string{"AVATAR_CORE_ADDR": "8080"}, wantVar: "AVATAR_CORE_ADDR"},
		{name: "addr port", env: map[string]string{"AVATAR_CORE_ADDR": ":99999"}, wantVar: "AVATAR_CORE_ADDR"},
		{name: "max conns", env: map[string]string{"AVATAR_DATABASE_MAX_CONNS": "zero"}, wantVar: "AVATAR_DATABASE_MAX_CONNS"},
		{name: "log level", env: map[string]string{"AVATAR_LOG_LEVEL": "loud"}, wantVar: "AVATAR_LOG_LEVEL"},
		{name: "shutdown timeout", env: map[string]string{"AVATAR_SHUTDOWN_TIMEOUT": "-1s"}, wantVar: "AVATAR_SHUTDOWN_TIMEOUT"},
		{name: "shutdown timeout zero", env: map[string]string{"AVATAR_SHUTDOWN_TIMEOUT": "0s"}, wantVar: "AVATAR_SHUTDOWN_TIMEOUT"},
		{name: "nats cluster item", env: map[string]string{"AVATAR_NATS_URL": "nats://a:4222,b:4222"}, wantVar: "AVATAR_NATS_URL"},
		{name: "embedded nats addr", env: map[string]string{"AVATAR_NATS_EMBEDDED_ADDR": "4223"}, wantVar: "AVATAR_NATS_EMBEDDED_ADDR"},
		{name: "keys repeated", env: map[string]string{"AVATAR_ENCRYPTION_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}, wantVar: "AVATAR_ENCRYPTION_KEYS"},
		{name: "embeddings url scheme", env: map[string]string{"AVATAR_EMBEDDER": "openai", "AVATAR_EMBEDDINGS_URL": "ftp://x"}, wantVar: "AVATAR_EMBEDDINGS_URL"},
		{name: "request bytes", env: map[string]string{"AVATAR_MAX_REQUEST_BYTES": "1"}, wantVar: "AVATAR_MAX_REQUEST_BYTES"},
		{name: "cors", env: map[string]string{"AVATAR_CORS_ORIGINS": "not an origin"}, wantVar: "AVATAR_CORS_ORIGINS"},
		{name: "cors origin with a path", env: map[string]string{"AVATAR_CORS_ORIGINS": "https://app.example.com/app"}, wantVar: "AVATAR_CORS_ORIGINS"},
		{name: "web edge url", env: map[string]string{"AVATAR_WEB_EDGE_URL": "localhost:8090"}, wantVar: "AVATAR_WEB_EDGE_URL"},
		{name: "public url", env: map[string]string{"AVATAR_PUBLIC_URL": "ftp://x"}, wantVar: "AVATAR_PUBLIC_URL"},
		{name: "bootstrap half", env: map[string]string{"AVATAR_BOOTSTRAP_EMAIL": "a@b.c"}, wantVar: "AVATAR_BOOTSTRAP_PASSWORD"},
		{name: "bootstrap short", env: map[string]string{"AVATAR_BOOTSTRAP_EMAIL": "a@b.c", "AVATAR_BOOTSTRAP_PASSWORD": "short"}, wantVar: "AVATAR_BOOTSTRAP_PASSWORD"},
		{name: "bootstrap email", env: map[string]string{"AVATAR_BOOTSTRAP_EMAIL": "nobody", "AVATAR_BOOTSTRAP_PASSWORD": "long-enough-password"}, wantVar: "AVATAR_BOOTSTRAP_EMAIL"},
		{name: "keys format", env: map[string]string{"AVATAR_ENCRYPTION_KEYS": "nokey"}, wantVar: "AVATAR_ENCRYPTION_KEYS"},
		{name: "keys length", env: map[string]string{"AVATAR_ENCRYPTION_KEYS": "k1:c2hvcnQ="}, wantVar: "AVATAR_ENCRYPTION_KEYS"},
		{name: "upload bytes", env: map[string]string{"AVATAR_MAX_UPLOAD_BYTES": "many"}, wantVar: "AVATAR_MAX_UPLOAD_BYTES"},
		{name: "embedder", env: map[string]string{"AVATAR_EMBEDDER": "bert"}, wantVar: "AVATAR_EMBEDDER"},
		{name: "openai without url", env: map[string]string{"AVATAR_EMBEDDER": "openai"}, wantVar: "AVATAR_EMBEDDINGS_URL"},
		{name: "embeddings dims", env: map[string]string{"AVATAR_EMBEDDINGS_DIMS": "5000"}, wantVar: "AVATAR_EMBEDDINGS_DIMS"},
		{name: "webhook private", env: map[string]string{"AVATAR_WEBHOOK_ALLOW_PRIVATE": "maybe"}, wantVar: "AVATAR_WEBHOOK_ALLOW_PRIVATE"},
		{name: "heartbeat timeout", env: map[string]string{"AVATAR_EDGE_HEARTBEAT_TIMEOUT": "soon"}, wantVar: "AVATAR_EDGE_HEARTBEAT_TIMEOUT"},
		{name: "heartbeat timeout below two heartbeats", env: map[string]string{"AVATAR_EDGE_HEARTBEAT_TIMEOUT": "6s"}, wantVar: "AVATAR_EDGE_HEARTBEAT_TIMEOUT"},
		{name: "edge max cpu", env: map[string]string{"AVATAR_EDGE_MAX_CPU": "1.5"}, wantVar: "AVATAR_EDGE_MAX_CPU"},
		{name: "region order bad name", env: map[string]string{"AVATAR_REGION_ORDER": "us east:us-west"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order bad next", env: map[string]string{"AVATAR_REGION_ORDER": "us-east:us.west"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order empty region", env: map[string]string{"AVATAR_REGION_ORDER": ":us-west"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order two routes", env: map[string]string{"AVATAR_REGION_ORDER": "us-east:us-west;US-EAST:eu-central"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order names itself", env: map[string]string{"AVATAR_REGION_ORDER": "us-east:us-west,us-east"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order names a region twice", env: map[string]string{"AVATAR_REGION_ORDER": "us-east:us-west,us-west"}, wantVar: "AVATAR_REGION_ORDER"},
		{name: "region order comma for semicolon", env: map[string]string{"AVATAR_REGION_ORDER": "us-east:us-west,us-west:us-east"}, wantVar: "AVATAR_REGION_ORDER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatal("Load accepted a bad value")
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantVar+":") {
				t.Fatalf("error %q does not name %s", err, tt.wantVar)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is more than one line", err)
			}
		})
	}
}

func TestLoadAcceptsGoodValues(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"AVATAR_DATABASE_URL":       "postgresql://u:p@db:5432/avatar",
		"AVATAR_DATABASE_READ_URL":  "postgres://u@replica/avatar",
		"AVATAR_NATS_URL":           "nats://a:4222, nats://b:4222",
		"AVATAR_PUBLIC_URL":         "https://avatar.example.com/",
		"AVATAR_SHUTDOWN_TIMEOUT":   "1m",
		"AVATAR_EMBEDDER":           "OpenAI",
		"AVATAR_EMBEDDINGS_URL":     "https://api.openai.com/v1",
		"AVATAR_ENCRYPTION_KEYS":    "k2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		"AVATAR_CORS_ORIGINS":       "https://app.example.com, http://localhost:5173",
		"AVATAR_BOOTSTRAP_EMAIL":    "admin@example.com",
		"AVATAR_BOOTSTRAP_PASSWORD": "correct horse battery",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.EncryptionKeys) != 2 || c.EncryptionKeys[0].ID != "k2" || len(c.EncryptionKeys[0].Key) != 32 || len(c.CORSOrigins) != 2 {
		t.Fatalf("parsed %+v", c)
	}
	if c.NATSURL != "nats://a:4222,nats://b:4222" || c.PublicURL != "https://avatar.example.com" || c.ShutdownTimeout != time.Minute {
		t.Fatalf("parsed %+v", c)
	}
	if c.Embedder != "openai" || c.EmbeddingsDims != 1536 {
		t.Fatalf("embedder %q with %d dimensions, want openai with the default 1536", c.Embedder, c.EmbeddingsDims)
	}
}
