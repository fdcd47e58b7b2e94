-- 0010: knowledge. Documents and their versions, the originals (de-duplicated per
-- dealership by SHA-256), chunks with their vectors and full-text vectors, a BM25
-- posting list, per-dealership corpus statistics and knowledge-base version, and the
-- dealership's webhook. Every table carries dealership_id under an RLS policy.

-- Originals live in PostgreSQL: transactional with the document rows, backed up and
-- replicated with them, and readable by an ingest worker on any core replica.
CREATE TABLE knowledge_blobs (
  dealership_id uuid NOT NULL REFERENCES dealerships(id) ON DELETE CASCADE,
  sha256 text NOT NULL,
  size_bytes bigint NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dealership_id, sha256)
);
ALTER TABLE knowledge_blobs ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TABLE knowledge_documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dealership_id uuid NOT NULL REFERENCES dealerships(id) ON DELETE CASCADE,
  title text NOT NULL,
  filename text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  -- status and failure_reason describe the latest version (latest_version).
  status smallint NOT NULL,
  failure_reason text NOT NULL DEFAULT '',
  latest_version integer NOT NULL DEFAULT 1,
  -- active_version is the version whose chunks are searchable; 0 when none is.
  active_version integer NOT NULL DEFAULT 0,
  chunk_count integer NOT NULL DEFAULT 0,
  stage smallint NOT NULL DEFAULT 1,
  percent smallint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_documents_dealership ON knowledge_documents (dealership_id, created_at DESC, id DESC);

CREATE TABLE knowledge_document_versions (
  document_id uuid NOT NULL REFERENCES knowledge_documents(id) ON DELETE CASCADE,
  version integer NOT NULL,
  dealership_id uuid NOT NULL REFERENCES dealerships(id) ON DELETE CASCADE,
  sha256 text NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL,
  status smallint NOT NULL,
  failure_reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version),
  FOREIGN KEY (dealership_id, sha256) REFERENCES knowledge_blobs (dealership_id, sha256)
);
CREATE INDEX knowledge_document_versions_sha ON knowledge_document_versions (dealership_id, sha256);

-- embedding has no fixed dimension so that a change of embedder is a re-embedding job,
-- not a schema change; each embedder gets a partial HNSW index on a cast to its
-- dimension (the default one below, others created by the service at start).
CREATE TABLE knowledge_chunks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dealership_id uuid NOT NULL REFERENCES dealerships(id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES knowledge_documents(id) ON DELETE CASCADE,
  version integer NOT NULL,
  ord integer NOT NULL,
  text text NOT NULL,
  page integer,
  section text,
  token_count integer NOT NULL,
  embedder text NOT NULL,
  embedding vector NOT NULL,
  tsv tsvector NOT NULL,
  UNIQUE (document_id, version, ord)
);
CREATE INDEX knowledge_chunks_document ON knowledge_chunks (document_id);
CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv);
CREATE INDEX knowledge_chunks_hnsw_hashed_v1_384 ON knowledge_chunks
  USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)
  WHERE embedder = 'hashed-v1-384';

-- The BM25 posting list: one row per (chunk, lexeme) with its term frequency and the
-- chunk's length, read by index-only scans on (dealership_id, term).
CREATE TABLE knowledge_postings (
  chunk_id uuid NOT NULL REFERENCES knowledge_chunks(id) ON DELETE CASCADE,
  term text NOT NULL,
  dealership_id uuid NOT NULL,
  document_id uuid NOT NULL,
  tf integer NOT NULL,
  dl integer NOT NULL,
  PRIMARY KEY (chunk_id, term)
);
CREATE INDEX knowledge_postings_term ON knowledge_postings (dealership_id, term) INCLUDE (chunk_id, document_id, tf, dl);

-- Per-dealership corpus statistics for BM25 and the knowledge-base version that keys
-- the search cache; both change in the transaction that changes the chunks.
CREATE TABLE knowledge_stats (
  dealership_id uuid PRIMARY KEY REFERENCES dealerships(id) ON DELETE CASCADE,
  chunk_count bigint NOT NULL DEFAULT 0,
  total_tokens bigint NOT NULL DEFAULT 0,
  kb_version bigint NOT NULL DEFAULT 0
);

CREATE TABLE knowledge_webhooks (
  dealership_id uuid PRIMARY KEY REFERENCES dealerships(id) ON DELETE CASCADE,
  url text NOT NULL,
  -- secret is sealed with the secrets box (AVATAR_ENCRYPTION_KEYS), bound to the dealership.
  secret text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['knowledge_blobs','knowledge_documents','knowledge_document_versions',
    'knowledge_chunks','knowledge_postings','knowledge_stats','knowledge_webhooks'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (dealership_id = current_dealership()) WITH CHECK (dealership_id = current_dealership())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO avatar_tenant', t);
  END LOOP;
END
$$;
