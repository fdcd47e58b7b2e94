import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LatencyBar } from "./LatencyBar";

describe("LatencyBar", () => {
  it("splits the turn gap by stage with proportional widths and a spoken summary", () => {
    const { container } = render(
      <LatencyBar turn={3} stages={{ endpoint: 200, stt_final: 50, first_text: 50, first_audio: 80, first_packet: 20, turn_gap: 400 }} bargeIn />,
    );
    expect(screen.getByRole("figure", { name: "Turn 3: turn gap 400 ms" })).toBeTruthy();
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe(
      "End of turn 200 ms, Transcript 50 ms, Reply text 50 ms, Speech 80 ms, Send 20 ms",
    );
    const widths = [...container.querySelectorAll<HTMLElement>(".latency-seg")].map((e) => parseFloat(e.style.width));
    expect(widths).toEqual([50, 12.5, 12.5, 20, 5]);
    expect(screen.getByText("barge-in")).toBeTruthy();
  });
});
