// Command avatar-bench-retrieval measures knowledge search and ingestion at scale. It
// creates a scratch database (migrated), loads -chunks chunks of synthetic text into one
// dealership, and prints:
//
//   - Search latency p50/p95/p99 at concurrency 1 and 16, with the Redis cache off (a
//     search.Searcher with the service's ranking) and on (Service.Retrieve, after one
//     priming pass);
//   - HNSW recall@10 of the vector side against exact search (a sequential scan, index
//     scans off) over -queries queries, for the vectors the service searches with
//     (search.Searcher.QueryVector: the query blended with its best lexical results'
//     vectors) and, for comparison, for the queries' own embeddings;
//   - ingestion throughput in chunks/s through the real path (Upload → JetStream job →
//     extract → chunk → embed → write), for multi-chunk and for one-chunk documents.
//
// The synthetic text is NFCorpus (-dataset, BEIR layout) cut into runs of 8 to 20 words,
// so vocabulary and term frequencies are those of real medical prose while no two
// chunks are equal. With -text topical (the default) each synthetic document is about
// one corpus document: its runs come from that document and its ten nearest corpus
// documents, so the knowledge base has topics as a real one does. -text shuffled draws
// every run from the whole corpus: documents without a topic, whose chunk vectors are
// all about equally far from any query, the worst case for an approximate index. Each
// document is a few passages, each passage as long as a random corpus document. The
// bulk load goes through knowledge.Loader.Import, which runs the ingest worker's own
// chunk/embed/write SQL batched many documents per transaction, with the HNSW and
// posting-term indexes dropped meanwhile and built after. Queries are NFCorpus test and
// dev queries.
// The scratch database and streams are removed at the end.
//
//	avatar-bench-retrieval -dataset /work/shared/data/retrieval/nfcorpus [-chunks 100000]
//
// -keep leaves the loaded database; -reuse <database> -steps recall measures it again
// (for example after rebuilding its HNSW index with other parameters), and -hnsw-m and
// -hnsw-ef-construction rebuild the index with other parameters after the bulk load.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/avatar-fi/avatar/core/internal/beir"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/scratch"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	dataset, dbURL, redisURL, natsURL string
	text                              string
	chunks, queries, workers, writers int
	ingestDocs, keepPostings          int
	efSearch                          int
	efSweep                           string
	hnswM, hnswEfConstruction         int
	seed                              uint64
	keep                              bool
	reuse, steps                      string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("avatar-bench-retrieval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dataset, "dataset", "", "BEIR-format folder whose corpus and queries feed the synthetic text (required)")
	fs.StringVar(&o.dbURL, "database-url", envOr("AVATAR_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server; a scratch database is created on it")
	fs.StringVar(&o.redisURL, "redis-url", envOr("AVATAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL")
	fs.StringVar(&o.natsURL, "nats-url", envOr("AVATAR_TEST_NATS_URL", "nats://127.0.0.1:4222"), "NATS URL")
	fs.IntVar(&o.chunks, "chunks", 100000, "chunks to load before measuring")
	fs.IntVar(&o.queries, "queries", 300, "distinct queries (at least 200 for recall)")
	fs.IntVar(&o.workers, "workers", 8, "ingest workers (jobs in flight) for the ingestion measurement; the service's two writers batch the jobs waiting for them")
	fs.IntVar(&o.writers, "writers", 0, "ingest write transactions at once (0: the service default)")
	fs.IntVar(&o.ingestDocs, "ingest-docs", 1500, "documents per ingestion measurement (about 30 s of writing: shorter runs vary by ±15 % with checkpoints)")
	fs.IntVar(&o.keepPostings, "keep-postings", 0, "postings kept per lexeme (knowledge.Config.KeepPostings; 0: the service default, -1: every posting)")
	fs.IntVar(&o.efSearch, "ef-search", 0, "hnsw.ef_search (0: the service default)")
	fs.StringVar(&o.efSweep, "ef-sweep", "40,200", "comma-separated hnsw.ef_search values for the recall sweep, after the service's")
	fs.IntVar(&o.hnswM, "hnsw-m", 0, "rebuild the HNSW index after the bulk load with this m (0: the migration's)")
	fs.IntVar(&o.hnswEfConstruction, "hnsw-ef-construction", 0, "rebuild the HNSW index after the bulk load with this ef_construction (0: the migration's)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic text")
	fs.StringVar(&o.text, "text", "topical", "synthetic text: topical (documents about one corpus document and its neighbours) or shuffled (runs from the whole corpus)")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch database (for EXPLAIN); drop it by hand")
	fs.StringVar(&o.reuse, "reuse", "", "measure an existing database left by -keep instead of creating and loading one (kept afterwards)")
	fs.StringVar(&o.steps, "steps", "search,recall,ingest", "comma-separated measurements to run: search, recall, ingest")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dataset == "" {
		fmt.Fprintln(stderr, "avatar-bench-retrieval: -dataset is required")
		return 2
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "avatar-bench-retrieval: %v\n", err)
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	gen, err := newGenerator(o.dataset, o.text, o.seed)
	if err != nil {
		return err
	}
	queries, err := readQueries(o.dataset, o.queries)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	env, err := scratch.New(ctx, scratch.Config{
		Name: "bench", DatabaseURL: o.dbURL, RedisURL: o.redisURL, NATSURL: o.natsURL,
		MaxConns: 24, Reuse: o.reuse, Keep: o.keep,
	}, log)
	if err != nil {
		return err
	}
	defer env.Close(ctx)
	pool, dealership, dbName := env.Pool, env.DealershipID, env.DBName
	box, err := secrets.New(secrets.DevelopmentKey())
	if err != nil {
		return err
	}
	emb, err := embed.NewHashed(0)
	if err != nil {
		return err
	}
	// The configuration in force, defaults applied, for the report.
	cfg, err := knowledge.Config{
		Primary: pool, Redis: env.Redis, Bus: env.Bus, Embedder: emb, Sealer: box, Log: log,
		KeyPrefix: env.KeyPrefix, Workers: o.workers, Writers: o.writers, KeepPostings: o.keepPostings, Ranking: search.Ranking{EfSearch: o.efSearch},
	}.WithDefaults()
	if err != nil {
		return err
	}
	svc, err := knowledge.New(ctx, cfg)
	if err != nil {
		return err
	}
	// The uncached searches and the query vectors: the service's ranking without its
	// cache.
	searcher, err := search.New(search.Config{Pool: pool, Embedder: emb, Ranking: cfg.Ranking})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scratch database %s; synthetic text: %s, from NFCorpus (seed %d)\n", dbName, o.text, o.seed)

	if o.reuse == "" {
		// The bulk load writes every posting (a floor needs the posting index, dropped
		// meanwhile); the floors are set once the index is built, as a dealership that
		// grew through the write path would have them.
		loader := knowledge.NewLoader(svc, knowledge.LoaderConfig{KeepEveryPosting: true})
		if err := bulkLoad(ctx, pool, loader, gen, dealership, o.chunks, o.hnswM, o.hnswEfConstruction, stdout); err != nil {
			return err
		}
		t0 := time.Now()
		n, err := loader.RefreshPostingFloors(ctx, dealership)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "posting floors: %d lexemes keep their %d best postings (%s)\n", n, cfg.KeepPostings, time.Since(t0).Round(time.Millisecond))
	}
	return measure(ctx, o, env, emb, svc, searcher, cfg, gen, queries, stdout)
}

// measure runs the measurements -steps names on the loaded dealership: search latency,
// the HNSW recall sweep, ingestion.
func measure(ctx context.Context, o options, env *scratch.Env, emb *embed.Hashed, svc *knowledge.Service, searcher *search.Searcher,
	cfg knowledge.Config, gen *generator, queries []string, stdout io.Writer) error {
	pool, dealership := env.Pool, env.DealershipID
	steps := map[string]bool{}
	for _, st := range strings.Split(o.steps, ",") {
		steps[strings.TrimSpace(st)] = true
	}
	if steps["search"] {
		if err := measureSearch(ctx, searcher.Search, svc.Retrieve, dealership, queries, stdout); err != nil {
			return err
		}
	}
	// The service's ef_search first, then a sweep for tuning.
	efs := []int{cfg.Ranking.EfSearch}
	for _, f := range strings.Split(o.efSweep, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ef, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("-ef-sweep: %w", err)
		}
		efs = append(efs, ef)
	}
	if steps["recall"] {
		if err := recallSweep(ctx, pool, emb, searcher, cfg.Ranking.Feedback, dealership, queries, efs, stdout); err != nil {
			return err
		}
	}
	if !steps["ingest"] {
		return nil
	}
	return measureIngest(ctx, pool, svc, cfg, gen, dealership, o.ingestDocs, stdout)
}

// recallSweep measures HNSW recall at each ef_search of efs, for the vectors the
// service searches with (the lexical results' feedback blended in, feedback being
// Ranking.Feedback in force) and, for comparison, for each query's own embedding.
func recallSweep(ctx context.Context, pool *pgxpool.Pool, emb *embed.Hashed, searcher *search.Searcher, feedback int, dealership string, queries []string, efs []int, stdout io.Writer) error {
	var service, raw [][]float32
	for _, q := range queries {
		v, err := searcher.QueryVector(ctx, dealership, q)
		if err != nil {
			return err
		}
		if v != nil {
			service = append(service, v)
		}
		if v := emb.Vector(q); !isZero(v) {
			raw = append(raw, v)
		}
	}
	for _, set := range []struct {
		name string
		vecs [][]float32
	}{
		{fmt.Sprintf("service query vectors, feedback %d", feedback), service},
		{"raw query embeddings", raw},
	} {
		for _, ef := range efs {
			if err := measureRecall(ctx, pool, emb, dealership, set.name, set.vecs, ef, stdout); err != nil {
				return err
			}
		}
	}
	return nil
}

// bulkLoad imports synthetic documents of one to six passages until n chunks are
// stored, with the HNSW and posting-term indexes dropped meanwhile and built afterwards.
func bulkLoad(ctx context.Context, pool *pgxpool.Pool, loader *knowledge.Loader, gen *generator, dealership string, n, hnswM, hnswEfC int, stdout io.Writer) error {
	// Bulk-load like a migration would: drop the HNSW index and the postings' term
	// index, and build them once the rows are in.
	rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE (tablename = 'knowledge_chunks' AND indexdef LIKE '%USING hnsw%') OR indexname = 'knowledge_postings_impact'`)
	if err != nil {
		return fmt.Errorf("find indexes: %w", err)
	}
	type index struct{ name, def string }
	idxs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var x index
		err := r.Scan(&x.name, &x.def)
		return x, err
	})
	if err != nil {
		return fmt.Errorf("find indexes: %w", err)
	}
	for _, x := range idxs {
		if _, err := pool.Exec(ctx, "DROP INDEX "+x.name); err != nil {
			return fmt.Errorf("drop %s: %w", x.name, err)
		}
	}
	start := time.Now()
	var total atomic.Int64
	var mu sync.Mutex
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for total.Load() < int64(n) {
				mu.Lock()
				docs := make([]knowledge.ImportDocument, 40)
				for i := range docs {
					docs[i] = knowledge.ImportDocument{Title: gen.title(), Text: gen.document(1 + gen.intN(6))}
				}
				mu.Unlock()
				res, err := loader.Import(ctx, dealership, docs)
				if err != nil {
					errc <- err
					return
				}
				total.Add(int64(res.Chunks))
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	loaded := time.Since(start)
	t0 := time.Now()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	stmts := []string{"SET maintenance_work_mem = '1GB'"}
	for _, x := range idxs {
		def := x.def
		if strings.Contains(def, "USING hnsw") && (hnswM > 0 || hnswEfC > 0) {
			m := hnswParam.FindStringSubmatch(def)
			if m == nil {
				return fmt.Errorf("no HNSW parameters in %s", def)
			}
			if hnswM <= 0 {
				hnswM, _ = strconv.Atoi(m[1])
			}
			if hnswEfC <= 0 {
				hnswEfC, _ = strconv.Atoi(m[2])
			}
			def = hnswParam.ReplaceAllString(def, fmt.Sprintf("WITH (m='%d', ef_construction='%d')", hnswM, hnswEfC))
		}
		stmts = append(stmts, def)
		fmt.Fprintf(stdout, "index: %s\n", def)
	}
	stmts = append(stmts, "RESET maintenance_work_mem", "VACUUM ANALYZE knowledge_chunks", "VACUUM ANALYZE knowledge_postings", "VACUUM ANALYZE knowledge_terms")
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			conn.Release()
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	conn.Release()
	var chunks, postings int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM knowledge_chunks), (SELECT count(*) FROM knowledge_postings)`).Scan(&chunks, &postings); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	fmt.Fprintf(stdout, "loaded %d chunks (%d postings) in %s (%.0f chunks/s via Import, HNSW and term index off); index builds + vacuum %s\n",
		chunks, postings, loaded.Round(time.Millisecond), float64(chunks)/loaded.Seconds(), time.Since(t0).Round(time.Millisecond))
	return nil
}

// hnswParam matches the WITH clause of an HNSW index definition as pg_indexes shows it.
var hnswParam = regexp.MustCompile(`WITH \(m='?(\d+)'?, ef_construction='?(\d+)'?\)`)

func percentiles(lat []time.Duration) string {
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		return lat[min(len(lat)-1, int(q*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s", len(lat), p(0.50), p(0.95), p(0.99))
}

// searchFunc is one way to search: search.Searcher.Search (no cache) or
// knowledge.Service.Retrieve (through the Redis cache).
type searchFunc func(context.Context, search.Query) ([]*knowledgev1.SearchResult, error)

// searchRun sends every query reps times through find from conc goroutines and returns
// latencies.
func searchRun(ctx context.Context, find searchFunc, dealership string, queries []string, reps, conc int) ([]time.Duration, error) {
	jobs := make(chan string)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range jobs {
				t0 := time.Now()
				_, err := find(ctx, search.Query{DealershipID: dealership, Query: q, TopK: 10})
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	for r := 0; r < reps; r++ {
		for _, q := range queries {
			jobs <- q
		}
	}
	close(jobs)
	wg.Wait()
	return lat, firstErr
}

// measureSearch measures search latency without the cache (uncached) and through it
// (cached, after a priming pass).
func measureSearch(ctx context.Context, uncached, cached searchFunc, dealership string, queries []string, stdout io.Writer) error {
	// Warm the buffer cache and the prepared statements.
	if _, err := searchRun(ctx, uncached, dealership, queries, 1, 4); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	for _, c := range []struct {
		name    string
		conc    int
		reps    int
		noCache bool
	}{
		{"uncached c=1 ", 1, 2, true},
		{"uncached c=16", 16, 3, true},
		{"cached   c=1 ", 1, 3, false},
		{"cached   c=16", 16, 5, false},
	} {
		find := uncached
		if !c.noCache {
			find = cached
			if _, err := searchRun(ctx, cached, dealership, queries, 1, 4); err != nil {
				return fmt.Errorf("prime cache: %w", err)
			}
		}
		t0 := time.Now()
		lat, err := searchRun(ctx, find, dealership, queries, c.reps, c.conc)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		fmt.Fprintf(stdout, "search %s %s (%.0f/s)\n", c.name, percentiles(lat), float64(len(lat))/time.Since(t0).Seconds())
	}
	return nil
}

// measureRecall compares, for each of vecs, the HNSW top 10 (the service's vector query
// at efSearch) with the exact top 10 by cosine distance. A hit is an HNSW result no
// farther than the exact tenth, so ties between equal vectors do not count as misses.
func measureRecall(ctx context.Context, pool *pgxpool.Pool, emb *embed.Hashed, dealership, name string, vecs [][]float32, efSearch int, stdout io.Writer) error {
	cast := fmt.Sprintf("vector(%d)", emb.Dims())
	q := `SELECT embedding::` + cast + ` <=> $2::` + cast + ` FROM knowledge_chunks
		WHERE dealership_id = $1 AND embedder = '` + emb.ID() + `' ORDER BY embedding::` + cast + ` <=> $2::` + cast + ` LIMIT 10`
	topk := func(vec string, exact bool) ([]float64, error) {
		var out []float64
		err := store.InTenant(ctx, pool, dealership, func(tx pgx.Tx) error {
			// As in the service: the planner would pick a sequential scan (exact) at a
			// large ef_search.
			set := fmt.Sprintf("SET LOCAL hnsw.ef_search = %d; SET LOCAL enable_seqscan = off", efSearch)
			if exact {
				set = "SET LOCAL enable_indexscan = off; SET LOCAL jit = off"
			}
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, q, dealership, vec)
			if err != nil {
				return err
			}
			out, err = pgx.CollectRows(rows, pgx.RowTo[float64])
			return err
		})
		return out, err
	}
	var hits, want int
	var tIdx, tExact time.Duration
	n := 0
	for _, v := range vecs {
		vec := pgvector.NewVector(v).String()
		t0 := time.Now()
		approx, err := topk(vec, false)
		if err != nil {
			return fmt.Errorf("hnsw query: %w", err)
		}
		tIdx += time.Since(t0)
		t0 = time.Now()
		exact, err := topk(vec, true)
		if err != nil {
			return fmt.Errorf("exact query: %w", err)
		}
		tExact += time.Since(t0)
		if len(exact) == 0 {
			continue
		}
		n++
		bound := exact[len(exact)-1] + 1e-6
		want += len(exact)
		for _, d := range approx {
			if d <= bound {
				hits++
			}
		}
	}
	if n == 0 {
		return errors.New("recall: no query has a vector")
	}
	fmt.Fprintf(stdout, "vector recall@10=%.4f over %d queries (%s; ef_search=%d; mean HNSW %s, exact %s)\n",
		float64(hits)/float64(want), n, name, efSearch, (tIdx / time.Duration(n)).Round(10*time.Microsecond), (tExact / time.Duration(n)).Round(10*time.Microsecond))
	return nil
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// measureIngest uploads documents through the real path with the workers running and
// reports chunks/s from the first upload to the last document READY.
func measureIngest(ctx context.Context, pool *pgxpool.Pool, svc *knowledge.Service, cfg knowledge.Config, gen *generator, dealership string, n int, stdout io.Writer) error {
	wctx, stopWorkers := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(wctx) }()
	defer func() { stopWorkers(); <-done }()
	for _, c := range []struct {
		name     string
		passages func() int
	}{
		{"multi-chunk docs (2-12 passages)", func() int { return 2 + gen.intN(11) }},
		{"one-chunk docs (1 short passage)", func() int { return 0 }},
	} {
		texts := make([]string, n)
		for i := range texts {
			if p := c.passages(); p > 0 {
				texts[i] = gen.document(p)
			} else {
				texts[i] = gen.passage(60 + gen.intN(200))
			}
		}
		start := time.Now()
		jobs := make(chan string)
		errc := make(chan error, 1)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			queued []string // ids of the documents this run queued (not de-duplicated)
		)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := range jobs {
					d, err := svc.Upload(ctx, knowledge.UploadInput{DealershipID: dealership,
						Metadata: &knowledgev1.DocumentMetadata{Title: "ingest", Filename: "ingest.txt"}, Data: []byte(t)})
					if err != nil {
						select {
						case errc <- err:
						default:
						}
						continue
					}
					if d.Status == knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING {
						mu.Lock()
						queued = append(queued, d.Id)
						mu.Unlock()
					}
				}
			}()
		}
		for _, t := range texts {
			jobs <- t
		}
		close(jobs)
		wg.Wait()
		select {
		case err := <-errc:
			return fmt.Errorf("upload: %w", err)
		default:
		}
		dups := ""
		if len(queued) < n {
			dups = fmt.Sprintf(", %d already stored", n-len(queued))
		}
		for {
			// Only this run's documents, by primary key: a scan of every document took
			// a visible share of the two cores from the workers at 100,000 chunks.
			var pending, failed int
			var chunks int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status IN (1, 2)), count(*) FILTER (WHERE status = 4), coalesce(sum(chunk_count), 0)
				FROM knowledge_documents WHERE id = ANY($1::uuid[])`, queued).Scan(&pending, &failed, &chunks); err != nil {
				return fmt.Errorf("poll ingestion: %w", err)
			}
			if pending == 0 {
				el := time.Since(start)
				fmt.Fprintf(stdout, "ingest %s: %d docs (%d failed%s), %d chunks in %s: %.0f chunks/s, %.0f docs/s (workers=%d, writers=%d)\n",
					c.name, len(queued), failed, dups, chunks, el.Round(time.Millisecond), float64(chunks)/el.Seconds(), float64(len(queued))/el.Seconds(), cfg.Workers, cfg.Writers)
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// generator makes synthetic documents from a corpus' text. In "topical" mode (the
// default) each document is about one corpus document: its passages are runs of 8 to
// 20 consecutive words drawn from that document and from its ten nearest corpus
// documents by shared rare words, so a knowledge base of many documents has topics, as
// a real one does. In "shuffled" mode every passage is runs drawn from the whole
// corpus: no document has a topic, the worst case for an approximate vector index (the
// nearest chunks of a query are then set by noise).
type generator struct {
	rng        *mrand.Rand
	topical    bool
	docs       [][]string // words of each corpus document
	titles     []string   // the first words of each corpus document
	lengths    []int      // word counts of the corpus documents
	neighbours [][]int    // topical: each document's ten nearest documents
	sentences  []string   // shuffled: runs of 8 to 20 words of the whole corpus
	seed       int        // topical: the document the current synthetic document is about
}

func newGenerator(dir, text string, seed uint64) (*generator, error) {
	if text != "topical" && text != "shuffled" {
		return nil, fmt.Errorf("-text %q: want topical or shuffled", text)
	}
	g := &generator{rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), topical: text == "topical"}
	corpus, err := beir.ReadCorpus(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range corpus {
		words := strings.Fields(d.Text)
		if len(words) == 0 {
			continue
		}
		g.docs = append(g.docs, words)
		g.lengths = append(g.lengths, len(words))
		// The corpus is preprocessed (lower case, no punctuation), so "sentences" are
		// runs of 8 to 20 consecutive words; a title is a document's first words.
		g.titles = append(g.titles, strings.Join(words[:min(len(words), 4+g.rng.IntN(5))], " "))
		if !g.topical {
			for i := 0; i < len(words); {
				n := min(len(words)-i, 8+g.rng.IntN(13))
				g.sentences = append(g.sentences, strings.Join(words[i:i+n], " ")+".")
				i += n
			}
		}
	}
	if len(g.docs) == 0 {
		return nil, fmt.Errorf("corpus in %s has no text", dir)
	}
	if g.topical {
		g.neighbours = nearestDocuments(g.docs, 10)
	}
	return g, nil
}

// nearestDocuments returns, for each document, the k others sharing the most rare
// words (document frequency at most 200), each shared word weighted by its idf.
func nearestDocuments(docs [][]string, k int) [][]int {
	sets := make([][]string, len(docs))
	df := map[string]int{}
	for i, d := range docs {
		seen := map[string]bool{}
		for _, w := range embed.Words(strings.Join(d, " ")) {
			if !seen[w] {
				seen[w] = true
				sets[i] = append(sets[i], w)
				df[w]++
			}
		}
	}
	postings := map[string][]int{}
	for i, ws := range sets {
		for _, w := range ws {
			if df[w] <= 200 {
				postings[w] = append(postings[w], i)
			}
		}
	}
	n := float64(len(docs))
	out := make([][]int, len(docs))
	score := make([]float64, len(docs))
	var touched []int
	for i, ws := range sets {
		touched = touched[:0]
		for _, w := range ws {
			idf := math.Log(n / float64(df[w]))
			for _, j := range postings[w] {
				if j == i {
					continue
				}
				if score[j] == 0 {
					touched = append(touched, j)
				}
				score[j] += idf
			}
		}
		slices.SortFunc(touched, func(a, b int) int {
			if c := cmp.Compare(score[b], score[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		out[i] = slices.Clone(touched[:min(k, len(touched))])
		for _, j := range touched {
			score[j] = 0
		}
		if len(out[i]) == 0 {
			out[i] = []int{i}
		}
	}
	return out
}

func (g *generator) intN(n int) int { return g.rng.IntN(n) }

// title is a corpus title: in topical mode the current topic's or a neighbour's.
func (g *generator) title() string {
	if g.topical {
		return g.titles[g.topicDoc()]
	}
	return g.titles[g.rng.IntN(len(g.titles))]
}

// topicDoc is the current topic document or, half the time, one of its neighbours.
func (g *generator) topicDoc() int {
	if g.rng.IntN(2) == 0 {
		return g.seed
	}
	nb := g.neighbours[g.seed]
	return nb[g.rng.IntN(len(nb))]
}

// passage is runs of 8 to 20 words up to about words words: of the whole corpus
// (shuffled) or of a new topic (topical).
func (g *generator) passage(words int) string {
	if g.topical {
		g.seed = g.rng.IntN(len(g.docs))
	}
	return g.runs(words)
}

func (g *generator) runs(words int) string {
	var b strings.Builder
	n := 0
	for n < words {
		var s string
		if g.topical {
			d := g.docs[g.topicDoc()]
			i := g.rng.IntN(len(d))
			s = strings.Join(d[i:min(len(d), i+8+g.rng.IntN(13))], " ") + "."
		} else {
			s = g.sentences[g.rng.IntN(len(g.sentences))]
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		n += strings.Count(s, " ") + 1
	}
	return b.String()
}

// document is p passages, each under a title line, each as long as a random corpus
// document; in topical mode all about one topic.
func (g *generator) document(p int) string {
	if g.topical {
		g.seed = g.rng.IntN(len(g.docs))
	}
	var b strings.Builder
	for i := 0; i < p; i++ {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(g.title())
		b.WriteString("\n\n")
		b.WriteString(g.runs(max(40, g.lengths[g.rng.IntN(len(g.lengths))])))
	}
	return b.String()
}

func readQueries(dir string, n int) ([]string, error) {
	var out []string
	for _, name := range []string{"queries.jsonl", "queries_dev.jsonl"} {
		qs, err := beir.ReadQueries(dir, name)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, q := range qs {
			if len(out) < n && strings.TrimSpace(q.Text) != "" {
				out = append(out, q.Text)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no queries in %s", dir)
	}
	return out, nil
}
