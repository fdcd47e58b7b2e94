// Command avatar-eval-retrieval measures knowledge retrieval on a BEIR-format folder
// (corpus.jsonl or corpus.jsonl.gz, queries.jsonl, qrels.tsv; -split dev reads
// queries_dev.jsonl and qrels_dev.tsv). It creates a scratch database, ingests every
// corpus document through the real upload → JetStream job → extract → chunk → embed →
// write path, runs every query through hybrid search (a search.Searcher per ranking
// compared, no cache), and prints nDCG@10, recall@100 and MRR@10; the last line is
// "nDCG@10=<value>". The scratch database and streams are
// removed afterwards.
//
//	avatar-eval-retrieval -dataset /work/shared/data/retrieval/nfcorpus [-split dev] [-vector-weights 0,0.25,0.5]
//	    [-feedback -1,3,5] [-query-vector-weights 0.3,-1] [-term-postings 500,1000]
//
// Each list flag compares its values (every combination) over one ingestion.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/avatar-fi/avatar/core/internal/beir"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/scratch"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	dataset, split, dbURL, redisURL, natsURL string
	vectorWeights                            []float64
	termPostings                             []int
	feedback                                 []int
	queryVectorWeights                       []float64
	k1, b                                    float64
	workers                                  int
	limitQueries                             int
	keepPostings                             int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("avatar-eval-retrieval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var weights, perTerm, feedback, qWeights string
	fs.StringVar(&o.dataset, "dataset", "", "BEIR-format folder (required)")
	fs.StringVar(&o.split, "split", "test", "test (queries.jsonl, qrels.tsv) or dev (queries_dev.jsonl, qrels_dev.tsv)")
	fs.StringVar(&o.dbURL, "database-url", envOr("AVATAR_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server; a scratch database is created on it")
	fs.StringVar(&o.redisURL, "redis-url", envOr("AVATAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL")
	fs.StringVar(&o.natsURL, "nats-url", envOr("AVATAR_TEST_NATS_URL", "nats://127.0.0.1:4222"), "NATS URL")
	fs.StringVar(&weights, "vector-weights", "", "comma-separated vector weights to compare (default: the service default only); the last is reported last")
	fs.StringVar(&perTerm, "term-postings", "", "comma-separated BM25 postings per query term to compare (0: the service default, -1: every posting, exact BM25)")
	fs.StringVar(&feedback, "feedback", "", "comma-separated pseudo-relevance feedback depths to compare (0: the service default, -1: off)")
	fs.StringVar(&qWeights, "query-vector-weights", "", "comma-separated query-vector shares of the feedback query to compare (0: the service default, -1: none)")
	fs.Float64Var(&o.k1, "k1", 0, "BM25 k1 (0: default)")
	fs.Float64Var(&o.b, "b", 0, "BM25 b (0: default)")
	fs.IntVar(&o.workers, "workers", 4, "ingest workers")
	fs.IntVar(&o.keepPostings, "keep-postings", 0, "postings kept per lexeme (knowledge.Config.KeepPostings; 0: the service default, -1: every posting)")
	fs.IntVar(&o.limitQueries, "limit-queries", 0, "evaluate only the first n queries (0: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dataset == "" {
		fmt.Fprintln(stderr, "avatar-eval-retrieval: -dataset is required")
		return 2
	}
	var err error
	if o.vectorWeights, err = parseList(weights, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }); err != nil {
		fmt.Fprintf(stderr, "avatar-eval-retrieval: -vector-weights: %v\n", err)
		return 2
	}
	if o.termPostings, err = parseList(perTerm, strconv.Atoi); err != nil {
		fmt.Fprintf(stderr, "avatar-eval-retrieval: -term-postings: %v\n", err)
		return 2
	}
	if o.feedback, err = parseList(feedback, strconv.Atoi); err != nil {
		fmt.Fprintf(stderr, "avatar-eval-retrieval: -feedback: %v\n", err)
		return 2
	}
	if o.queryVectorWeights, err = parseList(qWeights, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }); err != nil {
		fmt.Fprintf(stderr, "avatar-eval-retrieval: -query-vector-weights: %v\n", err)
		return 2
	}
	if len(o.termPostings) == 0 {
		o.termPostings = []int{0}
	}
	if len(o.feedback) == 0 {
		o.feedback = []int{0}
	}
	if len(o.queryVectorWeights) == 0 {
		o.queryVectorWeights = []float64{0}
	}
	if err := eval(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "avatar-eval-retrieval: %v\n", err)
		return 1
	}
	return 0
}

// parseList parses a comma-separated list, skipping empty items.
func parseList[T any](list string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		v, err := parse(item)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func eval(ctx context.Context, o options, stdout, stderr io.Writer) error {
	qname, rname := "queries.jsonl", "qrels.tsv"
	if o.split == "dev" {
		qname, rname = "queries_dev.jsonl", "qrels_dev.tsv"
	}
	docs, err := beir.ReadCorpus(o.dataset)
	if err != nil {
		return err
	}
	queries, err := beir.ReadQueries(o.dataset, qname)
	if err != nil {
		return err
	}
	qrels, err := beir.ReadQrels(o.dataset, rname)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	env, err := scratch.New(ctx, scratch.Config{
		Name: "eval", DatabaseURL: o.dbURL, RedisURL: o.redisURL, NATSURL: o.natsURL, MaxConns: 16,
	}, log)
	if err != nil {
		return err
	}
	defer env.Close(ctx)
	box, _ := secrets.New(secrets.DevelopmentKey())
	emb, _ := embed.NewHashed(0)
	cfg, err := knowledge.Config{
		Primary: env.Pool, Redis: env.Redis, Bus: env.Bus, Embedder: emb, Sealer: box, Log: log,
		KeyPrefix: env.KeyPrefix, Workers: o.workers, KeepPostings: o.keepPostings,
	}.WithDefaults()
	if err != nil {
		return err
	}
	svc, err := knowledge.New(ctx, cfg)
	if err != nil {
		return err
	}
	wctx, stopWorkers := context.WithCancel(ctx)
	workersDone := make(chan struct{})
	go func() { defer close(workersDone); _ = svc.Run(wctx) }()
	defer func() { stopWorkers(); <-workersDone }()

	docByID, err := ingest(ctx, svc, env, docs, stdout)
	if err != nil {
		return err
	}
	if err := reportPostings(ctx, env, cfg.KeepPostings, stdout); err != nil {
		return err
	}
	var judged []beir.Query
	for _, q := range queries {
		if len(qrels[q.ID]) > 0 {
			judged = append(judged, q)
		}
	}
	if o.limitQueries > 0 && len(judged) > o.limitQueries {
		judged = judged[:o.limitQueries]
	}
	last, err := compareRankings(ctx, o, env, emb, judged, qrels, docByID, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "nDCG@10=%.4f\n", last.NDCG10)
	return nil
}

// ingest uploads every corpus document through the real path (Upload → JetStream job
// → the service's workers) and waits until none is pending. It returns, per document
// id, the corpus ids stored in it (identical texts share a document).
func ingest(ctx context.Context, svc *knowledge.Service, env *scratch.Env, docs []beir.Doc, stdout io.Writer) (map[string][]string, error) {
	start := time.Now()
	docByID := map[string][]string{}
	var mu sync.Mutex
	jobs := make(chan beir.Doc)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range jobs {
				text := d.Text
				if d.Title != "" {
					text = d.Title + "\n\n" + d.Text
				}
				doc, err := svc.Upload(ctx, knowledge.UploadInput{DealershipID: env.DealershipID,
					Metadata: &knowledgev1.DocumentMetadata{Title: d.ID, Filename: d.ID + ".txt"}, Data: []byte(text)})
				if err != nil {
					select {
					case errc <- fmt.Errorf("upload %s: %w", d.ID, err):
					default:
					}
					continue
				}
				mu.Lock()
				docByID[doc.Id] = append(docByID[doc.Id], d.ID)
				mu.Unlock()
			}
		}()
	}
	for _, d := range docs {
		jobs <- d
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	uploaded := time.Since(start)
	for {
		var pending, failed, chunks int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status IN (1, 2)), count(*) FILTER (WHERE status = 4), coalesce(sum(chunk_count), 0) FROM knowledge_documents`).Scan(&pending, &failed, &chunks); err != nil {
			return nil, fmt.Errorf("poll ingestion: %w", err)
		}
		if pending == 0 {
			el := time.Since(start)
			fmt.Fprintf(stdout, "ingested %d documents (%d failed) into %d chunks in %s (uploads %s): %.0f chunks/s\n",
				len(docByID), failed, chunks, el.Round(time.Millisecond), uploaded.Round(time.Millisecond), float64(chunks)/el.Seconds())
			return docByID, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// reportPostings prints the posting list's size and pruning (keep is
// knowledge.Config.KeepPostings in force), then vacuums the search tables.
func reportPostings(ctx context.Context, env *scratch.Env, keep int, stdout io.Writer) error {
	var floors, postings, maxDF int64
	if err := env.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM knowledge_terms WHERE floor > 0), (SELECT count(*) FROM knowledge_postings),
		(SELECT coalesce(max(df), 0) FROM knowledge_terms)`).Scan(&floors, &postings, &maxDF); err != nil {
		return fmt.Errorf("count postings: %w", err)
	}
	fmt.Fprintf(stdout, "posting list: %d postings; %d lexemes pruned to their best %d (keep_postings; largest document frequency %d)\n",
		postings, floors, keep, maxDF)
	for _, stmt := range []string{"VACUUM ANALYZE knowledge_postings", "VACUUM ANALYZE knowledge_chunks", "VACUUM ANALYZE knowledge_terms"} {
		if _, err := env.Pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
	}
	return nil
}

// compareRankings runs the judged queries (top 100, no cache) with every combination
// of the ranking flags, each through a search.Searcher of its own over the one
// ingested corpus, prints each one's scores, and returns the last one's.
func compareRankings(ctx context.Context, o options, env *scratch.Env, emb search.Embedder, judged []beir.Query, qrels beir.Qrels, docByID map[string][]string, stdout io.Writer) (scores, error) {
	weights := o.vectorWeights
	if len(weights) == 0 {
		weights = []float64{0} // the service default
	}
	var last scores
	type variant struct {
		tp, fb int
		w, qw  float64
	}
	var variants []variant
	for _, tp := range o.termPostings {
		for _, fb := range o.feedback {
			for _, qw := range o.queryVectorWeights {
				for _, w := range weights {
					variants = append(variants, variant{tp, fb, w, qw})
				}
			}
		}
	}
	for _, v := range variants {
		w := v.w
		rc := search.Ranking{K1: o.k1, B: o.b, VectorWeight: w, TermPostings: v.tp, Feedback: v.fb, QueryVectorWeight: v.qw}
		if w == 0 && len(o.vectorWeights) > 0 {
			rc.VectorWeight = -1 // explicit 0: lexical only
		}
		s, err := search.New(search.Config{Pool: env.Pool, Embedder: emb, Ranking: rc})
		if err != nil {
			return scores{}, err
		}
		var sum scores
		var lat []time.Duration
		for _, q := range judged {
			t0 := time.Now()
			res, err := s.Search(ctx, search.Query{DealershipID: env.DealershipID, Query: q.Text, TopK: 100})
			if err != nil {
				return scores{}, fmt.Errorf("search %s: %w", q.ID, err)
			}
			lat = append(lat, time.Since(t0))
			ranking := make([]string, 0, len(res))
			for _, r := range res {
				ranking = append(ranking, docByID[r.DocumentId]...)
			}
			sc := evaluate(ranking, qrels[q.ID])
			sum.NDCG10 += sc.NDCG10
			sum.Recall100 += sc.Recall100
			sum.MRR10 += sc.MRR10
		}
		n := float64(len(judged))
		last = scores{sum.NDCG10 / n, sum.Recall100 / n, sum.MRR10 / n}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		label := "default"
		if len(o.vectorWeights) > 0 {
			label = strconv.FormatFloat(w, 'f', -1, 64)
		}
		rk := rc.WithDefaults()
		fmt.Fprintf(stdout, "split=%s queries=%d vector_weight=%s term_postings=%d feedback=%d query_vector_weight=%.2f nDCG@10=%.4f R@100=%.4f MRR@10=%.4f search_p50=%s\n",
			o.split, len(judged), label, rk.TermPostings, rk.Feedback, rk.QueryVectorWeight, last.NDCG10, last.Recall100, last.MRR10, lat[len(lat)/2].Round(10*time.Microsecond))
	}
	return last, nil
}
