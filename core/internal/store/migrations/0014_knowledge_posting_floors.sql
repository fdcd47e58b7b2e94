-- 0014: term-centric static pruning of the posting list.
--
-- The search reads only the highest-impact postings of each query term (500 by
-- default), yet every chunk wrote a posting for each of its lexemes: at 100,000 chunks,
-- 58 % of the postings belong to lexemes past their 2,000th best posting and can never
-- be read, and writing them was the largest share of the ingest transaction. A lexeme's
-- floor is the impact of its Config.KeepPostings-th best posting (0 while it has fewer);
-- a new posting at or below it is not written. df keeps counting every chunk that
-- holds the lexeme (idf is unchanged). floor_df is the df the floor was computed at: the
-- write path computes it again when df has moved by a quarter (queueRefreshFloors).
ALTER TABLE knowledge_terms
  ADD COLUMN floor real NOT NULL DEFAULT 0,
  ADD COLUMN floor_df bigint NOT NULL DEFAULT 0;
-- The write path reads a dealership's floors all at once: the few thousand lexemes
-- that have one (1,457 of 21,009 at 100,000 chunks).
CREATE INDEX knowledge_terms_floor ON knowledge_terms (dealership_id) INCLUDE (term, floor) WHERE floor > 0;

-- A chunk row (text, tsvector, vector: about 6 kB) is compressed by the toaster on
-- insert; lz4 does it several times faster than the default pglz, where the server
-- has it (Debian's PostgreSQL does).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) THEN
    ALTER TABLE knowledge_chunks ALTER COLUMN text SET COMPRESSION lz4, ALTER COLUMN tsv SET COMPRESSION lz4;
  END IF;
END
$$;
