import type { Scenario } from "@gen/avatar/scenario/v1/scenario_pb";

export type Difficulty = "Easy" | "Medium" | "Hard";

/**
 * difficultyOf rates a scenario from how it plays: the objections to handle and how far
 * the customer's starting warmth is from buying (defaults as the engine applies them).
 */
export function difficultyOf(s: Scenario): Difficulty {
  const d = s.disposition;
  const start = d?.startWarmth || 40;
  const buyAt = d?.buyAt || 60;
  const push = d?.pushPenalty || 15;
  const objections = Math.max(s.objectionDetails.length, s.objections.length);
  const points = objections + Math.max(0, buyAt - start) / 10 + (push > 15 ? 1 : 0);
  if (points <= 3) return "Easy";
  if (points <= 5) return "Medium";
  return "Hard";
}

/** money formats dollars. */
export function money(v: number): string {
  return v.toLocaleString("en-US", { style: "currency", currency: "USD", maximumFractionDigits: v % 1 === 0 ? 0 : 2 });
}
