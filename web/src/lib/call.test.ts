import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { VoiceCall, type CallSnapshot } from "./call";

// A stand-in for the browser's WebRTC and microphone: jsdom has neither. The call
// controller's own logic (offer/answer over WHIP, reconnection, back-off) runs for real.
class FakePC {
  static all: FakePC[] = [];
  connectionState: RTCPeerConnectionState = "new";
  iceGatheringState: RTCIceGatheringState = "complete";
  localDescription: RTCSessionDescriptionInit | null = null;
  remote: RTCSessionDescriptionInit | undefined;
  onconnectionstatechange: (() => void) | null = null;
  ontrack: ((e: unknown) => void) | null = null;
  closed = false;
  channels: string[] = [];
  transceivers = 0;
  constructor() {
    FakePC.all.push(this);
  }
  addTransceiver() {
    this.transceivers++;
  }
  createDataChannel(label: string) {
    this.channels.push(label);
    return { onmessage: null };
  }
  restartOffers = 0;
  async createOffer(o?: RTCOfferOptions) {
    if (o?.iceRestart) this.restartOffers++;
    return { type: "offer", sdp: `v=0 offer ${FakePC.all.length}${o?.iceRestart ? " ice-restart" : ""}` };
  }
  async setLocalDescription(d: RTCSessionDescriptionInit) {
    this.localDescription = d;
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit) {
    this.remote = d;
  }
  async getStats() {
    return new Map();
  }
  addEventListener() {}
  removeEventListener() {}
  close() {
    this.closed = true;
  }
  set(state: RTCPeerConnectionState) {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}

type Reply = { status: number; body?: string; headers?: Record<string, string> };

let replies: Reply[];
let patchReplies: Reply[];
let micTrack: { enabled: boolean; stop: () => void };
let requests: { method: string; url: string; auth?: string }[];

beforeEach(() => {
  vi.useFakeTimers();
  FakePC.all = [];
  replies = [];
  patchReplies = [];
  requests = [];
  vi.stubGlobal("RTCPeerConnection", FakePC);
  const track = { enabled: true, stop: vi.fn() };
  micTrack = track;
  vi.stubGlobal("navigator", {
    mediaDevices: { getUserMedia: vi.fn(async () => ({ getAudioTracks: () => [track], getTracks: () => [track] })) },
  });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      const headers = (init.headers ?? {}) as Record<string, string>;
      requests.push({ method: init.method ?? "GET", url, auth: headers.Authorization });
      if (init.method === "DELETE") return new Response(null, { status: 200 });
      if (init.method === "PATCH") {
        const r = patchReplies.shift() ?? { status: 200, body: "v=0 restart answer" };
        return new Response(r.body ?? "", { status: r.status, headers: r.headers });
      }
      const r = replies.shift() ?? { status: 201, body: "v=0 answer", headers: { Location: `/v1/calls/c${requests.length}` } };
      return new Response(r.body ?? "", { status: r.status, headers: r.headers });
    }),
  );
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function newCall(opts: Partial<ConstructorParameters<typeof VoiceCall>[0]> = {}) {
  const snaps: CallSnapshot[] = [];
  const edges: boolean[] = [];
  const call = new VoiceCall({
    sessionId: "s1",
    edgeUrl: async (retry) => {
      edges.push(retry);
      return "http://edge";
    },
    token: async () => "tok",
    onChange: (s) => snaps.push(s),
    ...opts,
  });
  return { call, snaps, edges, phase: () => snaps[snaps.length - 1]?.phase };
}

const posts = () => requests.filter((r) => r.method === "POST");
const patches = () => requests.filter((r) => r.method === "PATCH");

describe("VoiceCall", () => {
  it("offers one audio transceiver and the events channel, WHIP-style with the token", async () => {
    const { call, phase } = newCall();
    await call.start();
    const pc = FakePC.all[0];
    expect(pc.transceivers).toBe(1);
    expect(pc.channels).toEqual(["events"]);
    expect(posts()).toEqual([{ method: "POST", url: "http://edge/v1/calls?sessionId=s1", auth: "Bearer tok" }]);
    expect(pc.remote).toEqual({ type: "answer", sdp: "v=0 answer" });
    pc.set("connected");
    expect(phase()).toBe("connected");
    await call.hangup();
    expect(requests.at(-1)).toEqual({ method: "DELETE", url: "http://edge/v1/calls/c1", auth: "Bearer tok" });
    expect(phase()).toBe("ended");
  });

  it("waits for ICE to recover before redialling, then places a new call", async () => {
    const { call, phase, edges } = newCall();
    await call.start();
    FakePC.all[0].set("connected");
    FakePC.all[0].set("disconnected");
    expect(phase()).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(3000);
    FakePC.all[0].set("connected"); // the network came back by itself
    await vi.advanceTimersByTimeAsync(10_000);
    expect(posts()).toHaveLength(1);
    expect(phase()).toBe("connected");

    FakePC.all[0].set("disconnected");
    await vi.advanceTimersByTimeAsync(4000); // grace over: drop it and dial again
    expect(FakePC.all[0].closed).toBe(true);
    expect(requests.some((r) => r.method === "DELETE" && r.url === "http://edge/v1/calls/c1")).toBe(true);
    await vi.advanceTimersByTimeAsync(1000); // first back-off is at most 1 s
    expect(posts()).toHaveLength(2);
    expect(edges).toEqual([false, true]);
    FakePC.all[1].set("connected");
    expect(phase()).toBe("connected");
    expect(call.snapshot.attempt).toBe(0);
    await call.hangup();
  });

  it("restarts ICE on the same call when the network drops, without a new call", async () => {
    const { call, phase } = newCall();
    await call.start();
    const pc = FakePC.all[0];
    pc.set("connected");
    pc.set("disconnected");
    await vi.advanceTimersByTimeAsync(1999);
    expect(patches()).toHaveLength(0); // first, a moment to recover by itself
    await vi.advanceTimersByTimeAsync(1);
    expect(patches()).toEqual([{ method: "PATCH", url: "http://edge/v1/calls/c1", auth: "Bearer tok" }]);
    expect(pc.restartOffers).toBe(1);
    expect(pc.remote).toEqual({ type: "answer", sdp: "v=0 restart answer" });
    pc.set("connected");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(phase()).toBe("connected");
    expect(posts()).toHaveLength(1);
    expect(pc.closed).toBe(false);
    expect(requests.some((r) => r.method === "DELETE")).toBe(false);
    await call.hangup();
  });

  it("redials at once when ICE fails and the edge has lost the call, backing off while the edge refuses", async () => {
    const { call, phase } = newCall();
    await call.start();
    patchReplies.push({ status: 404, body: "NOT_FOUND: no such call" });
    FakePC.all[0].set("failed");
    replies.push({ status: 503, body: "UNAVAILABLE: this edge is draining", headers: { "Retry-After": "5" } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(patches()).toHaveLength(1);
    expect(posts()).toHaveLength(2);
    expect(phase()).toBe("reconnecting");
    expect(call.snapshot.error).toBe("this edge is draining");
    await vi.advanceTimersByTimeAsync(4000);
    expect(posts()).toHaveLength(2); // Retry-After 5 s is honoured
    await vi.advanceTimersByTimeAsync(1500);
    expect(posts()).toHaveLength(3);
    FakePC.all[2].set("connected");
    expect(phase()).toBe("connected");
    await call.hangup();
  });

  it("gives up on a refusal that will not change, and after the last attempt", async () => {
    replies.push({ status: 404, body: "NOT_FOUND: no such session" });
    const a = newCall();
    await a.call.start();
    expect(a.phase()).toBe("failed");
    expect(a.call.snapshot.error).toBe("no such session");

    const b = newCall({ maxAttempts: 2 });
    await b.call.start();
    FakePC.all.at(-1)!.set("failed");
    for (let i = 0; i < 3; i++) replies.push({ status: 503, body: "UNAVAILABLE: full" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(b.phase()).toBe("failed");
    expect(b.call.snapshot.error).toMatch(/could not be reconnected: full/);
  });

  it("tells the trainee when the microphone is refused", async () => {
    vi.stubGlobal("navigator", {
      mediaDevices: { getUserMedia: vi.fn(async () => Promise.reject(new DOMException("denied", "NotAllowedError"))) },
    });
    const { call, phase } = newCall();
    await call.start();
    expect(phase()).toBe("failed");
    expect(call.snapshot.error).toMatch(/Microphone permission was refused/);
    expect(requests).toHaveLength(0);
  });

  it("mutes by disabling the microphone track", async () => {
    const { call } = newCall();
    await call.start();
    call.setMuted(true);
    expect(call.snapshot.muted).toBe(true);
    expect(micTrack.enabled).toBe(false);
    call.setMuted(false);
    expect(micTrack.enabled).toBe(true);
    await call.hangup();
    expect(micTrack.stop).toHaveBeenCalled();
  });
});
