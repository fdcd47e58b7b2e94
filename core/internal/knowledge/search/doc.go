// Package search is the knowledge base's read path: hybrid retrieval over a dealership's
// chunks, and the Redis cache in front of it.
//
// A Searcher ranks on PostgreSQL: BM25 over the posting list (knowledge_postings, with
// the document frequencies and chunk statistics that the write path keeps), pgvector
// HNSW search with the query's embedding blended with its best lexical results' vectors
// (pseudo-relevance feedback, Ranking.Feedback), and weighted reciprocal rank fusion of
// the two. A Cache serves repeated searches from Redis, keyed by the dealership's
// knowledge-base version, which the write path moves on with SetVersion after every
// change.
//
// The package's files: search.go (Searcher: the ranking, step by step), ranking.go
// (Ranking, its defaults, the fusion), cache.go (Cache and the version keys), sql.go
// (every SQL statement of the read path, and the HNSW index the vector query needs).
// The measured figures are in ../README.md.
package search
