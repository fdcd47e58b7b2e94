// Where the app finds the core and, failing RegionService/PickEdge, an edge.

export interface AppConfig {
  /** The core's base URL, without a trailing slash. */
  coreUrl: string;
  /** The edge to use when PickEdge names none, without a trailing slash. */
  fallbackEdgeUrl: string;
}

export const defaultEdgeUrl = "http://localhost:8090";

function trimSlash(u: string): string {
  return u.replace(/\/+$/, "");
}

/** coreUrlFrom picks the core's URL: VITE_CORE_URL, else the page's origin (the core serves the app), else the dev default. */
export function coreUrlFrom(env: { VITE_CORE_URL?: string; DEV?: boolean }, origin: string): string {
  if (env.VITE_CORE_URL) return trimSlash(env.VITE_CORE_URL);
  if (env.DEV) return "http://localhost:8080";
  return trimSlash(origin);
}

/**
 * loadConfig reads the core's /config.json (its AVATAR_WEB_EDGE_URL) and falls back to
 * VITE_EDGE_URL, then http://localhost:8090. A core that does not answer leaves the defaults.
 */
export async function loadConfig(
  env: { VITE_CORE_URL?: string; VITE_EDGE_URL?: string; DEV?: boolean } = import.meta.env,
  origin: string = window.location.origin,
  fetchImpl: typeof fetch = fetch,
): Promise<AppConfig> {
  const coreUrl = coreUrlFrom(env, origin);
  let fallbackEdgeUrl = trimSlash(env.VITE_EDGE_URL || defaultEdgeUrl);
  try {
    const res = await fetchImpl(`${coreUrl}/config.json`, { cache: "no-cache" });
    if (res.ok) {
      const body = (await res.json()) as { edgeUrl?: unknown };
      if (typeof body.edgeUrl === "string" && /^https?:\/\//.test(body.edgeUrl)) {
        fallbackEdgeUrl = trimSlash(body.edgeUrl);
      }
    }
  } catch {
    // The core is away or predates /config.json: keep the built-in default.
  }
  return { coreUrl, fallbackEdgeUrl };
}
