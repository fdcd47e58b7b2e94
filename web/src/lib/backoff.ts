/**
 * backoffDelay is the wait before reconnection attempt n (0-based): base·2ⁿ capped at max,
 * with "equal jitter" (half fixed, half random) so that callers dropped together do not
 * all come back at once.
 */
export function backoffDelay(n: number, base = 1000, max = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, n));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
