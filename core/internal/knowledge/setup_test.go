package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

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
	log := apitest.Logger(t)
	b := &bundle{pool: dbtest.NewPool(t)}
	for _, name := range []string{"A", "B"} {
		var id string
		if err := b.pool.QueryRow(ctx, `INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text`, name+"-"+apitest.RandHex(3)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if name == "A" {
			b.dealerA = id
		} else {
			b.dealerB = id
		}
	}
	var prefix string
	b.rdb, prefix = redistest.New(t)
	b.bus = apitest.NewBus(t)
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

// serve mounts the handler with the core server's options plus apitest.Auth on an
// HTTP/2 httptest server, with a Connect and a gRPC client.
func (b *bundle) serve(t *testing.T) {
	t.Helper()
	srv := apitest.Serve(t, server.Config{Interceptors: []connect.Interceptor{apitest.Auth{}}},
		func(opts ...connect.HandlerOption) (string, http.Handler) {
			return knowledgev1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(b.svc, nil), opts...)
		}, knowledgev1connect.NewKnowledgeServiceClient)
	b.connect, b.grpc = srv.Connect, srv.GRPC
}

// as returns a header setter for a caller of the dealership.
func as(dealership string, role orgv1.Role) func(http.Header) { return apitest.As(dealership, role) }

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
