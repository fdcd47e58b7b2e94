-- 0011: a cheaper knowledge write path.
--
-- The GIN index on knowledge_chunks.tsv is read by no query (BM25 reads
-- knowledge_postings) and cost every chunk insert.
DROP INDEX IF EXISTS knowledge_chunks_tsv;

-- The posting list's foreign key to knowledge_chunks checked and locked the chunk row
-- once per posting (about 250 per chunk). A statement-level trigger with a transition
-- table removes a deleted chunk's postings instead, for direct deletes and for the
-- cascades from documents and dealerships alike. Postings are only ever inserted from
-- knowledge_chunks rows in the same transaction (writeVersion), so no dangling
-- chunk_id can be written. SECURITY DEFINER: the cascade may run as the table owner
-- or as the tenant role; either way only the deleted chunks' postings go.
ALTER TABLE knowledge_postings DROP CONSTRAINT IF EXISTS knowledge_postings_chunk_id_fkey;

CREATE FUNCTION knowledge_chunks_drop_postings() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM knowledge_postings p USING old_chunks o WHERE p.chunk_id = o.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER knowledge_chunks_drop_postings AFTER DELETE ON knowledge_chunks
  REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION knowledge_chunks_drop_postings();
