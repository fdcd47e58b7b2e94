// What a voice call's `events` data channel says, folded into what the call page shows.
// The messages are avatar.conversation.v1.CallEvent in proto3 JSON (protocol/callevent).
import { fromJsonString } from "@bufbuild/protobuf";
import {
  CallEventSchema,
  type CallEvent,
  type Citation,
} from "@gen/avatar/conversation/v1/conversation_pb";
import type { Outcome, Technique } from "@gen/avatar/scenario/v1/scenario_pb";

/** Stages of a turn in order; their durations add up to the turn gap. */
export const stageOrder = ["endpoint", "stt_final", "first_text", "first_audio", "first_packet"] as const;

export const stageLabels: Record<string, string> = {
  endpoint: "End of turn",
  stt_final: "Transcript",
  first_text: "Reply text",
  first_audio: "Speech",
  first_packet: "Send",
  turn_gap: "Turn gap",
};

export interface TranscriptLine {
  turn: number;
  speaker: "trainee" | "partner";
  text: string;
}

export interface TurnLatency {
  turn: number;
  stages: Record<string, number>;
  bargeIn: boolean;
}

export interface CallView {
  lines: TranscriptLine[];
  partial?: { turn: number; text: string };
  state: string;
  latencies: TurnLatency[];
  techniques: Record<number, Technique[]>;
  citations: Record<number, Citation[]>;
  outcome?: Outcome;
}

export function initialCallView(): CallView {
  return { lines: [], state: "", latencies: [], techniques: {}, citations: {} };
}

/** parseCallEvent decodes one data-channel message; unknown fields are ignored, garbage is dropped. */
export function parseCallEvent(text: string): CallEvent | undefined {
  try {
    return fromJsonString(CallEventSchema, text, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/** reduceCallEvent returns the view after ev; it never mutates v. */
export function reduceCallEvent(v: CallView, ev: CallEvent): CallView {
  switch (ev.type) {
    case "partial_transcript":
      return ev.text ? { ...dropContinued(v, ev.continues), partial: { turn: ev.turn, text: ev.text } } : v;
    case "final_transcript": {
      v = dropContinued(v, ev.continues);
      const partial = v.partial?.turn === ev.turn ? undefined : v.partial;
      if (!ev.text) return { ...v, partial };
      return { ...v, partial, lines: [...v.lines, { turn: ev.turn, speaker: "trainee", text: ev.text }] };
    }
    case "reply_text": {
      if (!ev.text) return v;
      const last = v.lines[v.lines.length - 1];
      if (last && last.speaker === "partner" && last.turn === ev.turn) {
        const lines = v.lines.slice(0, -1);
        lines.push({ ...last, text: `${last.text} ${ev.text}` });
        return { ...v, lines };
      }
      return { ...v, lines: [...v.lines, { turn: ev.turn, speaker: "partner", text: ev.text }] };
    }
    case "turn_latency": {
      const entry: TurnLatency = { turn: ev.turn, stages: { ...ev.stages }, bargeIn: ev.bargeIn };
      return { ...v, latencies: [...v.latencies.filter((l) => l.turn !== ev.turn), entry] };
    }
    case "state":
      return ev.state ? { ...v, state: ev.state } : v;
    case "turn_result":
      return {
        ...v,
        techniques: { ...v.techniques, [ev.turn]: ev.techniques },
        citations: ev.citations.length ? { ...v.citations, [ev.turn]: ev.citations } : v.citations,
        outcome: ev.outcome || v.outcome,
      };
    default:
      return v;
  }
}

/**
 * dropContinued removes turn `continued` from the view: the trainee went on after a pause the
 * edge took for the end of that turn, and the turn carrying it on holds its words (and gets the
 * reply); the start of a reply it had begun is dropped with it. 0 leaves the view as it is.
 */
function dropContinued(v: CallView, continued: number): CallView {
  if (!continued) return v;
  const lines = v.lines.filter((l) => l.turn !== continued);
  const partial = v.partial?.turn === continued ? undefined : v.partial;
  if (lines.length === v.lines.length && partial === v.partial) return v;
  return { ...v, lines, partial };
}

export interface Segment {
  stage: string;
  ms: number;
  /** fraction of the bar, 0 to 1. */
  fraction: number;
}

/** latencySegments splits a turn's bar by stage; the total is turn_gap when present. */
export function latencySegments(stages: Record<string, number>): { segments: Segment[]; totalMs: number } {
  const parts = stageOrder.filter((s) => typeof stages[s] === "number").map((s) => ({ stage: s, ms: Math.max(0, stages[s]) }));
  const sum = parts.reduce((a, p) => a + p.ms, 0);
  const totalMs = typeof stages.turn_gap === "number" ? Math.max(stages.turn_gap, sum) : sum;
  return {
    segments: parts.map((p) => ({ ...p, fraction: totalMs > 0 ? p.ms / totalMs : 0 })),
    totalMs,
  };
}
