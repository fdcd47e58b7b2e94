import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CitationSchema, SendMessageResponseSchema } from "@gen/avatar/conversation/v1/conversation_pb";
import { Outcome, ScenarioSchema, Technique } from "@gen/avatar/scenario/v1/scenario_pb";
import { applyChunk, citationLabel, doneInfo, type ChatMessage } from "./chat";
import { coreUrlFrom, loadConfig } from "./config";
import { difficultyOf } from "./scenario";
import { deleteCall, postOffer, WhipError } from "./whip";

describe("applyChunk", () => {
  it("streams deltas, then citations without duplicates, then done", () => {
    const start: ChatMessage = { id: 1, role: "partner", text: "", citations: [], techniques: [], streaming: true };
    const c1 = { documentId: "d", chunkId: "c1", title: "GAP guide", page: 2 };
    const chunks = [
      create(SendMessageResponseSchema, { delta: "GAP covers " }),
      create(SendMessageResponseSchema, { delta: "the difference." }),
      create(SendMessageResponseSchema, { citations: [c1, { documentId: "d", chunkId: "c2", title: "GAP guide", section: "Claims" }] }),
      create(SendMessageResponseSchema, { citations: [c1] }),
      create(SendMessageResponseSchema, { done: true, techniques: [Technique.OPEN_QUESTION], outcome: Outcome.UNSPECIFIED }),
    ];
    const m = chunks.reduce(applyChunk, start);
    expect(m.text).toBe("GAP covers the difference.");
    expect(m.citations.map((c) => c.chunkId)).toEqual(["c1", "c2"]);
    expect(m.streaming).toBe(false);
    expect(doneInfo(chunks[4])).toEqual({ techniques: [Technique.OPEN_QUESTION], outcome: undefined });
    expect(doneInfo(chunks[0])).toBeUndefined();
  });
  it("labels citations with page and section", () => {
    expect(citationLabel(create(CitationSchema, { title: "Guide", page: 3, section: "Claims" }))).toBe("Guide (p. 3, Claims)");
    expect(citationLabel(create(CitationSchema, { title: "Guide" }))).toBe("Guide");
  });
});

describe("difficultyOf", () => {
  const cases = [
    { name: "defaults, one objection", s: { objections: ["price"] }, want: "Easy" },
    { name: "three objections", s: { objections: ["a", "b", "c"] }, want: "Medium" },
    { name: "cold customer, many objections", s: { objections: ["a", "b", "c", "d"], disposition: { startWarmth: 20, buyAt: 70 } }, want: "Hard" },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      expect(difficultyOf(create(ScenarioSchema, c.s as never))).toBe(c.want);
    });
  }
});

describe("config", () => {
  it("uses the page's origin in production and the dev default under vite dev", () => {
    expect(coreUrlFrom({}, "https://avatar.example.com")).toBe("https://avatar.example.com");
    expect(coreUrlFrom({ DEV: true }, "http://localhost:5173")).toBe("http://localhost:8080");
    expect(coreUrlFrom({ VITE_CORE_URL: "https://core.example.com/" }, "x")).toBe("https://core.example.com");
  });
  it("takes the edge from /config.json, else VITE_EDGE_URL, else the default", async () => {
    const serve = (body: unknown, ok = true) => (async () => ({ ok, json: async () => body })) as unknown as typeof fetch;
    expect((await loadConfig({}, "http://core", serve({ edgeUrl: "http://edge:8090/" }))).fallbackEdgeUrl).toBe("http://edge:8090");
    expect((await loadConfig({ VITE_EDGE_URL: "http://vite-edge" }, "http://core", serve({}))).fallbackEdgeUrl).toBe("http://vite-edge");
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    expect(await loadConfig({}, "http://core", down)).toEqual({ coreUrl: "http://core", fallbackEdgeUrl: "http://localhost:8090" });
  });
});

describe("WHIP", () => {
  it("posts the offer with the token and resolves the Location against the edge", async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const fetchImpl = (async (url: string, init: RequestInit) => {
      seen = { url, init };
      return new Response("v=0 answer", { status: 201, headers: { Location: "/v1/calls/c9" } });
    }) as unknown as typeof fetch;
    const a = await postOffer("http://edge:8090", "s 1", "tok", "v=0 offer", undefined, fetchImpl);
    expect(seen?.url).toBe("http://edge:8090/v1/calls?sessionId=s%201");
    expect(seen?.init.headers).toEqual({ "Content-Type": "application/sdp", Authorization: "Bearer tok" });
    expect(a).toEqual({ sdp: "v=0 answer", location: "http://edge:8090/v1/calls/c9" });
  });
  it("reads the edge's reason and Retry-After", async () => {
    const fetchImpl = (async () =>
      new Response("UNAVAILABLE: this edge is at its call limit\n", { status: 503, headers: { "Retry-After": "5" } })) as unknown as typeof fetch;
    const err = await postOffer("http://edge", "s", "t", "o", undefined, fetchImpl).catch((e) => e);
    expect(err).toBeInstanceOf(WhipError);
    expect(err).toMatchObject({ status: 503, reason: "UNAVAILABLE", message: "this edge is at its call limit", retryAfterMs: 5000, retryable: true });
    const notFound = (async () => new Response("NOT_FOUND: no such session", { status: 404 })) as unknown as typeof fetch;
    expect((await postOffer("http://edge", "s", "t", "o", undefined, notFound).catch((e) => e)).retryable).toBe(false);
  });
  it("treats a network failure as retryable and a gone call as hung up", async () => {
    const down = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    expect((await postOffer("http://edge", "s", "t", "o", undefined, down).catch((e) => e)).retryable).toBe(true);
    const gone = (async () => new Response("NOT_FOUND: no such call", { status: 404 })) as unknown as typeof fetch;
    await expect(deleteCall("http://edge/v1/calls/x", "t", gone)).resolves.toBeUndefined();
  });
});
