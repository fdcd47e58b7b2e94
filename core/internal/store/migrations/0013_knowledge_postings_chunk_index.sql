-- 0013: a cheaper posting list to write.
--
-- The primary key (chunk_id, term) was read by no query: only the delete trigger
-- (knowledge_chunks_drop_postings, 0011) looks postings up, by chunk_id. Yet every
-- posting (about 240 per chunk) paid an insert into it, the largest index after the
-- search's knowledge_postings_impact (1.6 GB at 100,000 chunks), comparing uuid and
-- text on the way down. A plain index on chunk_id serves the trigger: B-tree
-- deduplication stores a chunk's key once with its postings' row ids (about a tenth
-- of the size), and chunk ids are time-ordered from now on (UUIDv7, written by
-- writeVersion), so new postings go to the same few leaf pages, which stay cached (in
-- a table that holds only such ids, the rightmost leaf, which PostgreSQL reaches
-- without a descent). A chunk's postings stay unique by construction: one per lexeme
-- of its tsvector, written by the statement that inserts the chunk.
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX IF NOT EXISTS knowledge_postings_chunk ON knowledge_postings (chunk_id);
ALTER TABLE knowledge_postings DROP CONSTRAINT IF EXISTS knowledge_postings_pkey;
