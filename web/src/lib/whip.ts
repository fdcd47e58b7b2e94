// The edge's WHIP-style call endpoint: POST an SDP offer, PATCH the call's Location with an
// ICE restart offer, DELETE the call's Location.

/** WhipError is a refused offer or hang-up, with the edge's reason ("UNAVAILABLE", ...). */
export class WhipError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    /** retryAfterMs is the edge's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "WhipError";
  }

  /** retryable reports a refusal worth trying again (the edge is full, draining or rate limiting). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface Answer {
  sdp: string;
  /** location is the call's absolute URL, for DELETE. */
  location: string;
}

async function errorOf(res: Response): Promise<WhipError> {
  const text = (await res.text().catch(() => "")).trim();
  const m = /^([A-Z_]+): (.*)$/s.exec(text);
  const ra = Number(res.headers.get("Retry-After"));
  return new WhipError(m ? m[2] : text || `HTTP ${res.status}`, res.status, m ? m[1] : "", ra > 0 ? ra * 1000 : undefined);
}

/** sendOffer sends an SDP offer with method to url; a network failure is an UNAVAILABLE WhipError. */
async function sendOffer(
  method: "POST" | "PATCH",
  url: string,
  token: string | undefined,
  offer: string,
  signal: AbortSignal | undefined,
  fetchImpl: typeof fetch,
): Promise<Response> {
  try {
    return await fetchImpl(url, {
      method,
      headers: { "Content-Type": "application/sdp", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: offer,
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new WhipError("the edge cannot be reached", 0, "UNAVAILABLE");
  }
}

/** postOffer sends the offer for sessionId's call and returns the edge's answer. */
export async function postOffer(
  edgeUrl: string,
  sessionId: string,
  token: string | undefined,
  offer: string,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<Answer> {
  const url = `${edgeUrl}/v1/calls?sessionId=${encodeURIComponent(sessionId)}`;
  const res = await sendOffer("POST", url, token, offer, signal, fetchImpl);
  if (res.status !== 201) throw await errorOf(res);
  const loc = res.headers.get("Location");
  if (!loc) throw new WhipError("the edge answered without a call Location", res.status, "INTERNAL");
  return { sdp: await res.text(), location: new URL(loc, edgeUrl).toString() };
}

/**
 * patchOffer sends an ICE restart offer (createOffer({ iceRestart: true })) for the live call
 * at location and returns the edge's new answer: the call, its transcript and its session go
 * on over the renegotiated transport.
 */
export async function patchOffer(
  location: string,
  token: string | undefined,
  offer: string,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const res = await sendOffer("PATCH", location, token, offer, signal, fetchImpl);
  if (res.status !== 200) throw await errorOf(res);
  return res.text();
}

/** deleteCall hangs up; a call the edge no longer knows counts as hung up. */
export async function deleteCall(location: string, token: string | undefined, fetchImpl: typeof fetch = fetch): Promise<void> {
  const res = await fetchImpl(location, {
    method: "DELETE",
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    keepalive: true,
  });
  if (!res.ok && res.status !== 404) throw await errorOf(res);
}
