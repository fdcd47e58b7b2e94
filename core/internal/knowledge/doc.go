// Package knowledge is the dealership knowledge base: KnowledgeService (upload, get,
// list, watch, delete, search, webhook), the ingest workers that consume document jobs
// from the AVATAR_INGEST JetStream work queue (extract → chunk → embed → write), and
// hybrid retrieval that fuses BM25 over a PostgreSQL posting list with pgvector HNSW
// search by weighted reciprocal rank fusion, cached in Redis per knowledge-base version.
// The vector side searches with the query's embedding blended with its best lexical
// results' vectors (pseudo-relevance feedback; search.Ranking.Feedback). Measured
// figures: README.md beside this file.
//
// Originals are kept in PostgreSQL (knowledge_blobs), de-duplicated per dealership by
// SHA-256: they commit atomically with the document rows, are backed up and replicated
// with them, and any core replica's worker can read them without a shared filesystem.
//
// Where the code is. The read path is the subpackage search: search.Searcher ranks
// (search/search.go, ranking.go), search.Cache puts Redis in front of it (cache.go),
// and search/sql.go holds every statement it runs. The write path is this package:
//
//   - config.go: Config and its defaults (Config.WithDefaults).
//   - service.go: Service, the operations behind the RPCs (Upload, Get, List, Delete,
//     Retrieve through the search cache) and the change announcements.
//   - handler.go: Handler, the RPC boundary; it maps domain errors once (publicError).
//   - ingest.go: Run and the ingest workers (job loop, extract → chunk → embed,
//     re-embedding, progress).
//   - writer.go: the writer, which batches the workers' write transactions.
//   - import.go: Loader, bulk import straight into the index (benchmarks, evaluation,
//     seeding), and RefreshPostingFloors.
//   - repo.go: every SQL statement of the write path (documents, versions, originals,
//     chunks and posting list, statistics and posting floors, deletes, webhooks).
//   - webhook.go: webhook deliveries.
//
// The measurement commands (cmd/avatar-bench-retrieval, cmd/avatar-eval-retrieval)
// build their own search.Searcher to search without the cache or with other rankings,
// and a Loader to bulk-load; the production Service carries none of that.
package knowledge
