import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

describe("backoffDelay", () => {
  it("doubles from the base up to the cap, with half of it jittered", () => {
    const lo = (n: number) => backoffDelay(n, 1000, 30_000, () => 0);
    const hi = (n: number) => backoffDelay(n, 1000, 30_000, () => 1);
    expect([0, 1, 2, 3, 4, 5, 6].map(hi)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect([0, 1, 2, 5].map(lo)).toEqual([500, 1000, 2000, 15000]);
  });
  it("stays within [ceiling/2, ceiling]", () => {
    for (let n = 0; n < 10; n++) {
      const d = backoffDelay(n);
      const ceiling = Math.min(30_000, 1000 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});
