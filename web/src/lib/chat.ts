// A text conversation's messages, built from SendMessage's stream.
import type { Citation, SendMessageResponse } from "@gen/avatar/conversation/v1/conversation_pb";
import { Outcome, type Technique } from "@gen/avatar/scenario/v1/scenario_pb";

export interface ChatMessage {
  id: number;
  role: "trainee" | "partner";
  text: string;
  citations: Citation[];
  /** techniques are those heard in this trainee message (role-play). */
  techniques: Technique[];
  /** streaming is true while the reply is still arriving. */
  streaming: boolean;
  /** question is the trainee line a partner reply answers (to find its passages). */
  question?: string;
  error?: string;
}

/** applyChunk folds one message of the reply stream into the reply. */
export function applyChunk(m: ChatMessage, chunk: SendMessageResponse): ChatMessage {
  let next = m;
  if (chunk.delta) next = { ...next, text: next.text + chunk.delta };
  if (chunk.citations.length) next = { ...next, citations: mergeCitations(next.citations, chunk.citations) };
  if (chunk.done) next = { ...next, streaming: false };
  return next;
}

/** doneInfo returns what the final message says of the trainee's line. */
export function doneInfo(chunk: SendMessageResponse): { techniques: Technique[]; outcome?: Outcome } | undefined {
  if (!chunk.done) return undefined;
  return {
    techniques: chunk.techniques,
    outcome: chunk.outcome !== Outcome.UNSPECIFIED ? chunk.outcome : undefined,
  };
}

function mergeCitations(have: Citation[], more: Citation[]): Citation[] {
  const seen = new Set(have.map((c) => c.chunkId));
  return [...have, ...more.filter((c) => !seen.has(c.chunkId) && seen.add(c.chunkId))];
}

/** citationLabel is how a citation reads: title, page, section. */
export function citationLabel(c: Citation): string {
  const where = [c.page !== undefined ? `p. ${c.page}` : "", c.section ?? ""].filter(Boolean).join(", ");
  return where ? `${c.title} (${where})` : c.title;
}
