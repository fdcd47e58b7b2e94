-- 0012: faster BM25.
--
-- Document frequencies: one row per (dealership, lexeme) with the number of chunks
-- that contain it, maintained in the ingest and delete transactions (after the
-- dealership's knowledge_stats row is locked, so writers of one dealership take the
-- term rows in one order and never deadlock). The search reads one row per query term
-- instead of counting every posting of the term.
CREATE TABLE knowledge_terms (
  dealership_id uuid NOT NULL REFERENCES dealerships(id) ON DELETE CASCADE,
  term text NOT NULL,
  df bigint NOT NULL,
  PRIMARY KEY (dealership_id, term)
);
INSERT INTO knowledge_terms (dealership_id, term, df)
  SELECT dealership_id, term, count(*) FROM knowledge_postings GROUP BY dealership_id, term;
ALTER TABLE knowledge_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY knowledge_terms_tenant ON knowledge_terms USING (dealership_id = current_dealership()) WITH CHECK (dealership_id = current_dealership());
GRANT SELECT, INSERT, UPDATE, DELETE ON knowledge_terms TO avatar_tenant;

-- Impact-ordered postings: impact is the posting's BM25 term weight without idf,
-- tf / (tf + k1 * (1 - b + b * dl / avgdl)) at k1 = 0.9, b = 0.4 and the dealership's
-- average chunk length when the posting was written. The search takes only the
-- highest-impact postings of each query term from the index below and scores those
-- exactly (current avgdl, configured k1 and b), so a drifted avgdl can only change which
-- postings make the cut, never a score.
ALTER TABLE knowledge_postings ADD COLUMN impact real NOT NULL DEFAULT 0;
UPDATE knowledge_postings p SET impact = p.tf / (p.tf + 0.9 * (0.6 + 0.4 * p.dl / greatest(s.total_tokens::float8 / greatest(s.chunk_count, 1), 1)))
  FROM knowledge_stats s WHERE s.dealership_id = p.dealership_id;
DROP INDEX knowledge_postings_term;
CREATE INDEX knowledge_postings_impact ON knowledge_postings (dealership_id, term, impact DESC) INCLUDE (chunk_id, document_id, tf, dl);
