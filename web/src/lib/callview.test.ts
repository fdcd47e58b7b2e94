import { create, toJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CallEventSchema, type CallEvent } from "@gen/avatar/conversation/v1/conversation_pb";
import { Outcome, Technique } from "@gen/avatar/scenario/v1/scenario_pb";
import { initialCallView, latencySegments, parseCallEvent, reduceCallEvent } from "./callview";

function ev(init: MessageInitShape<typeof CallEventSchema>): CallEvent {
  return create(CallEventSchema, init);
}

describe("parseCallEvent", () => {
  it("reads the edge's proto3 JSON, ignoring unknown fields", () => {
    const got = parseCallEvent('{"type":"turn_latency","turn":2,"stages":{"endpoint":210.5,"turn_gap":480},"bargeIn":true,"future":1}');
    expect(got?.type).toBe("turn_latency");
    expect(got?.turn).toBe(2);
    expect(got?.stages).toEqual({ endpoint: 210.5, turn_gap: 480 });
    expect(got?.bargeIn).toBe(true);
  });
  it("reads enums by their full names", () => {
    const got = parseCallEvent('{"type":"turn_result","turn":1,"techniques":["TECHNIQUE_RAPPORT"],"outcome":"OUTCOME_BOUGHT"}');
    expect(got?.techniques).toEqual([Technique.RAPPORT]);
    expect(got?.outcome).toBe(Outcome.BOUGHT);
  });
  it("round-trips what protobuf-es writes", () => {
    const text = toJsonString(CallEventSchema, ev({ type: "reply_text", turn: 3, text: "Sure." }));
    expect(parseCallEvent(text)?.text).toBe("Sure.");
  });
  it("drops garbage", () => {
    expect(parseCallEvent("not json")).toBeUndefined();
    expect(parseCallEvent('{"turn":"x"}')).toBeUndefined();
  });
});

describe("reduceCallEvent", () => {
  it("builds the transcript of a call", () => {
    const events = [
      ev({ type: "state", state: "SPEAKING" }),
      ev({ type: "reply_text", turn: 0, text: "Hi, I'm here to sign." }),
      ev({ type: "reply_text", turn: 0, text: "What's next?" }),
      ev({ type: "state", state: "USER_SPEAKING" }),
      ev({ type: "partial_transcript", turn: 1, text: "let me" }),
      ev({ type: "partial_transcript", turn: 1, text: "let me show you" }),
      ev({ type: "final_transcript", turn: 1, text: "let me show you the menu" }),
      ev({ type: "turn_result", turn: 1, techniques: [Technique.FULL_MENU] }),
      ev({ type: "reply_text", turn: 1, text: "Okay." }),
      ev({ type: "turn_latency", turn: 1, stages: { endpoint: 200, turn_gap: 420 } }),
      ev({ type: "turn_latency", turn: 1, stages: { endpoint: 210, turn_gap: 430 } }),
    ];
    const v = events.reduce(reduceCallEvent, initialCallView());
    expect(v.lines).toEqual([
      { turn: 0, speaker: "partner", text: "Hi, I'm here to sign. What's next?" },
      { turn: 1, speaker: "trainee", text: "let me show you the menu" },
      { turn: 1, speaker: "partner", text: "Okay." },
    ]);
    expect(v.partial).toBeUndefined();
    expect(v.state).toBe("USER_SPEAKING");
    expect(v.techniques[1]).toEqual([Technique.FULL_MENU]);
    expect(v.latencies).toEqual([{ turn: 1, stages: { endpoint: 210, turn_gap: 430 }, bargeIn: false }]);
  });
  it("keeps a partial of a later turn when an earlier one finalises", () => {
    let v = reduceCallEvent(initialCallView(), ev({ type: "partial_transcript", turn: 2, text: "and" }));
    v = reduceCallEvent(v, ev({ type: "final_transcript", turn: 1, text: "yes" }));
    expect(v.partial).toEqual({ turn: 2, text: "and" });
  });
  it("shows a continued turn as one with the turn carrying it on", () => {
    const events = [
      ev({ type: "final_transcript", turn: 1, text: "i can offer you" }),
      ev({ type: "reply_text", turn: 1, text: "Sounds" }),
      ev({ type: "partial_transcript", turn: 2, text: "i can offer you a", continues: 1 }),
      ev({ type: "final_transcript", turn: 2, text: "i can offer you a five year plan", continues: 1 }),
      ev({ type: "reply_text", turn: 2, text: "How much is it?" }),
    ];
    const v = events.reduce(reduceCallEvent, initialCallView());
    expect(v.lines).toEqual([
      { turn: 2, speaker: "trainee", text: "i can offer you a five year plan" },
      { turn: 2, speaker: "partner", text: "How much is it?" },
    ]);
    expect(v.partial).toBeUndefined();
  });
  it("drops the partial of a turn continued before its final", () => {
    let v = reduceCallEvent(initialCallView(), ev({ type: "partial_transcript", turn: 1, text: "so the" }));
    v = reduceCallEvent(v, ev({ type: "partial_transcript", turn: 2, text: "so the warranty", continues: 1 }));
    expect(v.partial).toEqual({ turn: 2, text: "so the warranty" });
    expect(v.lines).toEqual([]);
  });
  it("ignores unknown types and does not mutate", () => {
    const v0 = initialCallView();
    const v1 = reduceCallEvent(v0, ev({ type: "something_new", text: "x" }));
    expect(v1).toBe(v0);
    reduceCallEvent(v0, ev({ type: "final_transcript", turn: 1, text: "x" }));
    expect(v0.lines).toEqual([]);
  });
  it("records the outcome", () => {
    const v = reduceCallEvent(initialCallView(), ev({ type: "turn_result", turn: 4, outcome: Outcome.WALKED }));
    expect(v.outcome).toBe(Outcome.WALKED);
  });
});

describe("latencySegments", () => {
  const cases: { name: string; stages: Record<string, number>; want: string[]; total: number }[] = [
    {
      name: "stages in order, total from turn_gap",
      stages: { first_packet: 5, endpoint: 250, stt_final: 20, first_text: 15, first_audio: 40, turn_gap: 330 },
      want: ["endpoint", "stt_final", "first_text", "first_audio", "first_packet"],
      total: 330,
    },
    { name: "partial turn without a reply", stages: { endpoint: 300, stt_final: 25 }, want: ["endpoint", "stt_final"], total: 325 },
    { name: "empty", stages: {}, want: [], total: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { segments, totalMs } = latencySegments(c.stages);
      expect(segments.map((s) => s.stage)).toEqual(c.want);
      expect(totalMs).toBe(c.total);
      if (totalMs > 0) expect(segments.reduce((a, s) => a + s.fraction, 0)).toBeCloseTo(1, 5);
    });
  }
});
