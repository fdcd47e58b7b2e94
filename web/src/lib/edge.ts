import { createClient, type Transport } from "@connectrpc/connect";
import { RegionService } from "@gen/avatar/region/v1/region_pb";
import { isUnimplemented } from "./errors";

export interface EdgeChoice {
  url: string;
  /** region is the edge's region when PickEdge chose it. */
  region?: string;
  /** source says how it was chosen: by the core's RegionService, or the configured fallback. */
  source: "pick-edge" | "config";
}

/**
 * EdgeResolver asks the core which edge to use (RegionService/PickEdge) and falls back to
 * the configured edge while the core has no RegionService or names none. A choice is kept
 * for a minute; invalidate drops it (a call to it failed).
 */
export class EdgeResolver {
  private cached: { choice: EdgeChoice; at: number } | undefined;
  private unimplemented = false;
  private readonly client;

  constructor(
    core: Transport,
    private readonly fallbackUrl: string,
    private readonly now: () => number = () => Date.now(),
    private readonly ttlMs = 60_000,
  ) {
    this.client = createClient(RegionService, core);
  }

  async pick(): Promise<EdgeChoice> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.choice;
    let choice: EdgeChoice = { url: this.fallbackUrl, source: "config" };
    if (!this.unimplemented) {
      try {
        const hint = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
        const res = await this.client.pickEdge({ hint });
        const url = res.edge?.url.replace(/\/+$/, "");
        if (url) choice = { url, region: res.edge?.region, source: "pick-edge" };
      } catch (err) {
        if (isUnimplemented(err)) this.unimplemented = true;
      }
    }
    this.cached = { choice, at: this.now() };
    return choice;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
