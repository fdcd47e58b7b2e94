package knowledge_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// bundle is one test's knowledge service on the real PostgreSQL, Redis and NATS.
type bundle struct {
	pool      *pgxpool.Pool
	rdb       *redis.Client
	bus       *events.Bus
	svc       *knowledge.Service
	cfg       knowledge.Config
	dealerA   string
	dealerB   string
	connect   knowledgev1connect.KnowledgeServiceClient
	grpc      knowledgev1connect.KnowledgeServiceClient
	stopWorks context.CancelFunc
	workDone  chan struct{}
}

type setupOpts struct {
	noWorkers bool
	embedder  knowledge.Embedder
	tweak     func(*knowledge.Config)
}

func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b := &bundle{pool: dbtest.NewPool(t)}
	for _, name := range []string{"A", "B"} {
		var id string
		if err := b.pool.QueryRow(ctx, `INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text`, name+"-"+randHex(3)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if name == "A" {
			b.dealerA = id
		} else {
			b.dealerB = id
		}
	}
	redisURL := os.Getenv("AVATAR_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	b.rdb = redis.NewClient(ropts)
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis is not reachable at %s (run deploy/dev/services.sh): %v", redisURL, err)
	}
	prefix := "t:" + randHex(4) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := b.rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			b.rdb.Del(ctx, keys...)
		}
		_ = b.rdb.Close()
	})
	natsURL := os.Getenv("AVATAR_TEST_NATS_URL")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	tag := strings.ToUpper(randHex(4))
	names := events.Names{Prefix: "t" + strings.ToLower(tag), EventsStream: "T" + tag + "_EVENTS", IngestStream: "T" + tag + "_INGEST"}
	b.bus, err = events.Connect(ctx, events.Config{URL: natsURL, Name: t.Name(), Names: names}, log)
	if err != nil {
		t.Fatalf("NATS is not reachable at %s (run deploy/dev/services.sh): %v", natsURL, err)
	}
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		_ = b.bus.JS.DeleteStream(ctx, names.EventsStream)
		_ = b.bus.JS.DeleteStream(ctx, names.IngestStream)
		b.bus.Close()
	})
	box, err := secrets.New(secrets.DevelopmentKey())
	if err != nil {
		t.Fatal(err)
	}
	emb := o.embedder
	if emb == nil {
		h, _ := embed.NewHashed(0)
		emb = h
	}
	b.cfg = knowledge.Config{
		Primary: b.pool, Redis: b.rdb, Bus: b.bus, Embedder: emb, Sealer: box, Log: log,
		KeyPrefix: prefix, MaxDeliver: 3, Backoff: []time.Duration{20 * time.Millisecond},
		WebhookAllowPrivate: true, WebhookBackoff: []time.Duration{20 * time.Millisecond, 50 * time.Millisecond},
	}
	if o.tweak != nil {
		o.tweak(&b.cfg)
	}
	b.svc, err = knowledge.New(ctx, b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !o.noWorkers {
		b.startWorkers(t)
	}
	b.serve(t)
	return b
}

func (b *bundle) startWorkers(t *testing.T) {
	t.Helper()
	wctx, cancel := context.WithCancel(context.Background())
	b.stopWorks, b.workDone = cancel, make(chan struct{})
	go func() {
		defer close(b.workDone)
		if err := b.svc.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("workers: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-b.workDone
	})
}

// searcher returns a Searcher (no cache) over the bundle's database, with the bundle's
// embedder and the ranking r.
func (b *bundle) searcher(t *testing.T, r search.Ranking) *search.Searcher {
	t.Helper()
	s, err := search.New(search.Config{Pool: b.pool, Embedder: b.cfg.Embedder, Ranking: r})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testAuth is a test-only interceptor standing in for the identity engineer's
// authentication interceptor: it turns X-Test-Dealership and X-Test-Role headers into
// the principal.Principal that the real interceptor will put in the context.
type testAuth struct{}

func (testAuth) from(ctx context.Context, h http.Header) context.Context {
	role := h.Get("X-Test-Role")
	if role == "" {
		return ctx
	}
	return principal.With(ctx, principal.Principal{UserID: "u-" + h.Get("X-Test-Dealership"), DealershipID: h.Get("X-Test-Dealership"), Role: orgv1.Role(orgv1.Role_value[role])})
}

func (a testAuth) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		return next(a.from(ctx, req.Header()), req)
	}
}

func (testAuth) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a testAuth) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(a.from(ctx, conn.RequestHeader()), conn)
	}
}

// serve mounts the handler with the core server's options plus testAuth on an HTTP/2
// httptest server, with a Connect and a gRPC client.
func (b *bundle) serve(t *testing.T) {
	t.Helper()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Interceptors: []connect.Interceptor{testAuth{}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path, h := knowledgev1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(b.svc, nil), srv.HandlerOptions()...)
	mux := http.NewServeMux()
	mux.Handle(path, h)
	hs := httptest.NewUnstartedServer(mux)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(hs.Close)
	client := hs.Client() // HTTP/2 over TLS, trusting the test certificate (EnableHTTP2)
	b.connect = knowledgev1connect.NewKnowledgeServiceClient(client, hs.URL)
	b.grpc = knowledgev1connect.NewKnowledgeServiceClient(client, hs.URL, connect.WithGRPC())
}

// as returns a context-free header setter for a caller of the dealership.
func as(dealership string, role orgv1.Role) func(http.Header) {
	return func(h http.Header) {
		h.Set("X-Test-Dealership", dealership)
		h.Set("X-Test-Role", role.String())
	}
}

func (b *bundle) upload(t *testing.T, c knowledgev1connect.KnowledgeServiceClient, who func(http.Header), md *knowledgev1.DocumentMetadata, data []byte) (*knowledgev1.Document, error) {
	t.Helper()
	stream := c.UploadDocument(context.Background())
	who(stream.RequestHeader())
	// Send returns io.EOF when the server has already answered (a refusal): the answer
	// then comes from CloseAndReceive.
	if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Metadata{Metadata: md}}); err != nil {
		if !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		data = nil
	}
	for start := 0; start < len(data); start += 32 << 10 {
		end := min(start+32<<10, len(data))
		if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Chunk{Chunk: data[start:end]}}); err != nil {
			break // the server may have answered early (payload too large)
		}
	}
	res, err := stream.CloseAndReceive()
	if err != nil {
		return nil, err
	}
	return res.Msg.Document, nil
}

// waitFinal polls GetDocument until the document is READY or FAILED.
func (b *bundle) waitFinal(t *testing.T, who func(http.Header), id string, version int32) *knowledgev1.Document {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req := connect.NewRequest(&knowledgev1.GetDocumentRequest{Id: id})
		who(req.Header())
		res, err := b.connect.GetDocument(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Msg.Document
		if d.Version >= version && (d.Status == knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY || d.Status == knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("document %s did not finish", id)
	return nil
}

func (b *bundle) search(t *testing.T, c knowledgev1connect.KnowledgeServiceClient, who func(http.Header), q string) []*knowledgev1.SearchResult {
	t.Helper()
	req := connect.NewRequest(&knowledgev1.SearchRequest{Query: q, TopK: 5})
	who(req.Header())
	res, err := c.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg.Results
}

func reason(err error) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return fmt.Sprintf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(interface{ GetReason() string }); ok {
			return ed.GetReason()
		}
	}
	return "no reason"
}
