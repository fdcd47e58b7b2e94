import { latencySegments, stageLabels } from "../lib/callview";

/** LatencyBar shows one turn's gap split by stage, widths proportional to each stage's time. */
export function LatencyBar({ turn, stages, bargeIn }: { turn: number; stages: Record<string, number>; bargeIn?: boolean }) {
  const { segments, totalMs } = latencySegments(stages);
  const summary = segments.map((s) => `${stageLabels[s.stage]} ${Math.round(s.ms)} ms`).join(", ");
  return (
    <figure className="latency" aria-label={`Turn ${turn}: turn gap ${Math.round(totalMs)} ms`}>
      <figcaption>
        <span>Turn {turn}</span>
        <strong data-testid="turn-gap">{Math.round(totalMs)} ms</strong>
        {bargeIn && <span className="badge badge-warn">barge-in</span>}
      </figcaption>
      <div className="latency-bar" role="img" aria-label={summary || "no stages yet"}>
        {segments.map((s) => (
          <span
            key={s.stage}
            className={`latency-seg seg-${s.stage}`}
            style={{ width: `${(s.fraction * 100).toFixed(2)}%` }}
            title={`${stageLabels[s.stage]}: ${Math.round(s.ms)} ms`}
          />
        ))}
      </div>
    </figure>
  );
}

export function LatencyLegend() {
  return (
    <ul className="latency-legend" aria-label="Stages">
      {["endpoint", "stt_final", "first_text", "first_audio", "first_packet"].map((s) => (
        <li key={s}>
          <span className={`latency-swatch seg-${s}`} aria-hidden="true" />
          {stageLabels[s]}
        </li>
      ))}
    </ul>
  );
}
