// Package knowledge is the dealership knowledge base: KnowledgeService (upload, get,
// list, watch, delete, search, webhook), the ingest workers that consume document jobs
// from the AVATAR_INGEST JetStream work queue (extract → chunk → embed → write), and
// hybrid retrieval that fuses BM25 over a PostgreSQL posting list with pgvector HNSW
// search by weighted reciprocal rank fusion, cached in Redis per knowledge-base version.
// The vector side searches with the query's embedding blended with its best lexical
// results' vectors (pseudo-relevance feedback; RankingConfig.Feedback). Measured
// figures: README.md beside this file.
//
// Originals are kept in PostgreSQL (knowledge_blobs), de-duplicated per dealership by
// SHA-256: they commit atomically with the document rows, are backed up and replicated
// with them, and any core replica's worker can read them without a shared filesystem.
package knowledge
