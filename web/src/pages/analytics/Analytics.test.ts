import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { SessionSchema } from "@gen/avatar/analytics/v1/analytics_pb";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { scoreSeries, sessionsPerDay } from "./Analytics";

const at = (iso: string) => timestampFromDate(new Date(iso));

describe("chart series", () => {
  const sessions = [
    create(SessionSchema, { id: "c", mode: Mode.ROLE_PLAY, startTime: at("2026-12-02T15:00:00Z"), overallScore: 71.6 }),
    create(SessionSchema, { id: "a", mode: Mode.ROLE_PLAY, startTime: at("2026-12-01T09:00:00Z"), overallScore: 40 }),
    create(SessionSchema, { id: "b", mode: Mode.TRAINING, startTime: at("2026-12-01T10:00:00Z") }),
    create(SessionSchema, { id: "d", mode: Mode.TRAINING, startTime: at("2026-12-02T16:00:00Z") }),
  ];
  it("scores graded sessions in time order", () => {
    expect(scoreSeries(sessions).map((p) => p.score)).toEqual([40, 72]);
  });
  it("counts sessions per day by mode", () => {
    expect(sessionsPerDay(sessions).map(({ coach, roleplay }) => ({ coach, roleplay }))).toEqual([
      { coach: 1, roleplay: 1 },
      { coach: 1, roleplay: 1 },
    ]);
  });
});
