// A voice call to an edge: the microphone, one RTCPeerConnection with one audio
// transceiver and the `events` data channel, the WHIP-style offer and answer, and
// reconnection when the network drops.
import { backoffDelay } from "./backoff";
import { initialCallView, parseCallEvent, reduceCallEvent, type CallView } from "./callview";
import { deleteCall, patchOffer, postOffer, WhipError } from "./whip";

export type CallPhase = "idle" | "microphone" | "connecting" | "connected" | "reconnecting" | "ended" | "failed";

export interface AudioStats {
  /** bytesReceived of the reply audio. */
  bytesReceived: number;
  /** energy is the reply audio's totalAudioEnergy (0 while nothing audible arrived). */
  energy: number;
  /** level is the reply audio's current level, 0 to 1. */
  level: number;
}

export interface CallSnapshot {
  phase: CallPhase;
  view: CallView;
  muted: boolean;
  error?: string;
  /** attempt counts reconnections since the last good connection. */
  attempt: number;
  audio: AudioStats;
  edgeUrl?: string;
}

export interface CallOptions {
  sessionId: string;
  /** edgeUrl returns the edge to call; called again for each reconnection. */
  edgeUrl: (retry: boolean) => Promise<string>;
  token: () => Promise<string | undefined>;
  /** audio plays the reply. */
  audio?: HTMLAudioElement;
  onChange: (s: CallSnapshot) => void;
  rtc?: RTCConfiguration;
  /** maxAttempts bounds reconnections before the call fails; default 6. */
  maxAttempts?: number;
  /** graceMs is how long a disconnected call gets to recover (half by itself, half by an ICE restart) before a new call is placed; default 4 s. */
  graceMs?: number;
}

const gatherTimeoutMs = 2000;

/** waitForGathering resolves once ICE gathering completes, or after a bound (non-trickle WHIP). */
function waitForGathering(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener("icegatheringstatechange", check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, gatherTimeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

export class VoiceCall {
  private snap: CallSnapshot = {
    phase: "idle",
    view: initialCallView(),
    muted: false,
    attempt: 0,
    audio: { bytesReceived: 0, energy: 0, level: 0 },
  };
  private mic: MediaStream | undefined;
  private pc: RTCPeerConnection | undefined;
  private location: string | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private abort: AbortController | undefined;
  private ended = false;
  /** restarting is the connection an ICE restart is under way on. */
  private restarting: RTCPeerConnection | undefined;

  constructor(private readonly opts: CallOptions) {}

  get snapshot(): CallSnapshot {
    return this.snap;
  }

  /** start asks for the microphone and places the call. */
  async start(): Promise<void> {
    this.update({ phase: "microphone", error: undefined });
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
    } catch (err) {
      const denied = err instanceof DOMException && (err.name === "NotAllowedError" || err.name === "SecurityError");
      this.update({
        phase: "failed",
        error: denied
          ? "Microphone permission was refused. Allow the microphone for this site and try again."
          : "No microphone could be opened.",
      });
      return;
    }
    this.statsTimer = setInterval(() => void this.pollStats(), 1000);
    await this.connect(false);
  }

  setMuted(muted: boolean): void {
    this.mic?.getAudioTracks().forEach((t) => (t.enabled = !muted));
    this.update({ muted });
  }

  /** hangup ends the call on the edge and releases the microphone. */
  async hangup(): Promise<void> {
    this.ended = true;
    clearTimeout(this.graceTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.statsTimer);
    this.abort?.abort();
    const loc = this.location;
    this.teardown();
    this.mic?.getTracks().forEach((t) => t.stop());
    this.update({ phase: "ended" });
    if (loc) {
      try {
        await deleteCall(loc, await this.opts.token());
      } catch {
        // The edge ends a call whose peer is gone on its own.
      }
    }
  }

  private update(p: Partial<CallSnapshot>): void {
    this.snap = { ...this.snap, ...p };
    this.opts.onChange(this.snap);
  }

  private teardown(): void {
    const pc = this.pc;
    this.pc = undefined;
    this.location = undefined;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
      pc.close();
    }
  }

  private async connect(retry: boolean): Promise<void> {
    if (this.ended || !this.mic) return;
    this.update({ phase: retry ? "reconnecting" : "connecting" });
    const pc = new RTCPeerConnection(this.opts.rtc ?? { bundlePolicy: "max-bundle" });
    this.pc = pc;
    const track = this.mic.getAudioTracks()[0];
    pc.addTransceiver(track, { direction: "sendrecv", streams: [this.mic] });
    const events = pc.createDataChannel("events");
    events.onmessage = (e) => {
      const ev = typeof e.data === "string" ? parseCallEvent(e.data) : undefined;
      if (ev) this.update({ view: reduceCallEvent(this.snap.view, ev) });
    };
    pc.ontrack = (e) => {
      const audio = this.opts.audio;
      if (!audio) return;
      audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      audio.play().catch(() => {
        // Autoplay refused: the page shows the audio element's own controls.
      });
    };
    pc.onconnectionstatechange = () => this.onState(pc);
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitForGathering(pc);
      const edge = await this.opts.edgeUrl(retry);
      this.abort = new AbortController();
      const answer = await postOffer(edge, this.opts.sessionId, await this.opts.token(), pc.localDescription?.sdp ?? offer.sdp ?? "", this.abort.signal);
      if (this.pc !== pc) {
        void deleteCall(answer.location, await this.opts.token()).catch(() => undefined);
        return;
      }
      this.location = answer.location;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.update({ edgeUrl: edge });
    } catch (err) {
      if (this.ended || this.pc !== pc) return;
      this.teardown();
      if (err instanceof WhipError && !err.retryable) {
        this.update({ phase: "failed", error: err.message });
        return;
      }
      this.scheduleRetry(err instanceof WhipError ? err.retryAfterMs : undefined, err);
    }
  }

  private onState(pc: RTCPeerConnection): void {
    if (this.pc !== pc || this.ended) return;
    switch (pc.connectionState) {
      case "connected":
        clearTimeout(this.graceTimer);
        this.update({ phase: "connected", attempt: 0, error: undefined });
        break;
      case "disconnected":
        // ICE often recovers by itself (a Wi-Fi hiccup); give it a moment, then restart ICE
        // on the same call, and only then place a new one.
        this.update({ phase: "reconnecting" });
        clearTimeout(this.graceTimer);
        this.graceTimer = setTimeout(() => {
          if (this.pc === pc && pc.connectionState !== "connected") void this.restartIce(pc);
        }, (this.opts.graceMs ?? 4000) / 2);
        break;
      case "failed":
        void this.restartIce(pc);
        break;
    }
  }

  /**
   * restartIce renegotiates the transport of the live call (new ICE credentials, the same
   * call and session on the edge); when that does not bring the connection back within the
   * grace period, redial places a new call.
   */
  async restartIce(pc: RTCPeerConnection): Promise<void> {
    const loc = this.location;
    if (this.ended || this.pc !== pc || this.restarting === pc || !loc) {
      if (this.pc === pc && !loc) this.redial();
      return;
    }
    this.restarting = pc;
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      if (this.pc === pc && pc.connectionState !== "connected") this.redial();
    }, (this.opts.graceMs ?? 4000) / 2);
    try {
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      await waitForGathering(pc);
      const answer = await patchOffer(loc, await this.opts.token(), pc.localDescription?.sdp ?? offer.sdp ?? "");
      if (this.pc !== pc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
    } catch {
      if (this.pc === pc && !this.ended) this.redial();
    } finally {
      if (this.restarting === pc) this.restarting = undefined;
    }
  }

  /** redial drops the broken connection and places a new call for the same session. */
  private redial(): void {
    const loc = this.location;
    this.teardown();
    if (loc) void this.opts.token().then((t) => deleteCall(loc, t)).catch(() => undefined);
    this.scheduleRetry(undefined, undefined);
  }

  private scheduleRetry(hintMs: number | undefined, cause: unknown): void {
    const attempt = this.snap.attempt;
    if (attempt >= (this.opts.maxAttempts ?? 6)) {
      this.update({
        phase: "failed",
        error: `The call could not be reconnected${cause instanceof Error ? `: ${cause.message}` : "."}`,
      });
      return;
    }
    const wait = Math.max(hintMs ?? 0, backoffDelay(attempt));
    this.update({
      phase: "reconnecting",
      attempt: attempt + 1,
      error: cause instanceof Error ? cause.message : undefined,
    });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(true), wait);
  }

  private async pollStats(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      const stats = await pc.getStats();
      stats.forEach((s: { type?: string; kind?: string; bytesReceived?: number; totalAudioEnergy?: number; audioLevel?: number }) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") {
          this.update({
            audio: {
              bytesReceived: s.bytesReceived ?? 0,
              energy: Math.max(this.snap.audio.energy, s.totalAudioEnergy ?? 0),
              level: s.audioLevel ?? 0,
            },
          });
        }
      });
    } catch {
      // A closed connection has no stats.
    }
  }
}
