import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import type { Citation } from "@gen/avatar/conversation/v1/conversation_pb";
import { KnowledgeService } from "@gen/avatar/knowledge/v1/knowledge_pb";
import { citationLabel } from "../lib/chat";
import { describeError } from "../lib/errors";
import { Alert, Dialog, Spinner } from "./ui";

/** Citations lists a reply's sources; each opens the cited passage. */
export function Citations({ citations, question }: { citations: Citation[]; question?: string }) {
  const [open, setOpen] = useState<Citation | undefined>();
  if (citations.length === 0) return null;
  return (
    <div className="citations">
      <span className="citations-label">Sources:</span>
      <ul>
        {citations.map((c, i) => (
          <li key={c.chunkId || i}>
            <button type="button" className="citation" onClick={() => setOpen(c)}>
              [{i + 1}] {citationLabel(c)}
            </button>
          </li>
        ))}
      </ul>
      <Dialog open={open !== undefined} title={open ? citationLabel(open) : ""} onClose={() => setOpen(undefined)}>
        {open && <Passage citation={open} question={question ?? open.title} />}
      </Dialog>
    </div>
  );
}

/**
 * Passage shows the cited chunk's text. KnowledgeService has no chunk lookup, so it runs
 * the question again and picks the cited chunk from the ranked passages.
 */
function Passage({ citation, question }: { citation: Citation; question: string }) {
  const q = useQuery(KnowledgeService.method.search, { query: question, topK: 50 }, { staleTime: 60_000 });
  if (q.isLoading) return <Spinner label="Loading the passage" />;
  if (q.error) return <Alert>{describeError(q.error)}</Alert>;
  const hit = q.data?.results.find((r) => r.chunkId === citation.chunkId);
  if (!hit) {
    return (
      <p>
        The passage is in <strong>{citation.title}</strong>
        {citation.page !== undefined && <>, page {citation.page}</>}
        {citation.section && <>, section “{citation.section}”</>}. It was changed or removed since this answer was written.
      </p>
    );
  }
  return (
    <article className="passage" data-testid="passage">
      {hit.section && <h3>{hit.section}</h3>}
      <p className="passage-text">{hit.text}</p>
      <p className="passage-meta">
        From <strong>{hit.title}</strong>
        {hit.page !== undefined && <>, page {hit.page}</>}
      </p>
    </article>
  );
}
