import type { Scorecard as ScorecardMsg } from "@gen/avatar/scenario/v1/scenario_pb";
import { negativeTechniques, outcomeLabels, techniqueLabels } from "../lib/labels";
import { Badge, Card } from "./ui";

export function Scorecard({ card, turns }: { card: ScorecardMsg; turns?: number }) {
  const score = Math.round(card.overallScore);
  return (
    <Card title="Scorecard" className="scorecard">
      <div className="score-summary">
        <div className="score-ring" role="img" aria-label={`Overall score ${score} out of 100`}>
          <span>{score}</span>
          <small>/ 100</small>
        </div>
        <div>
          <p>
            <strong>Outcome:</strong> {outcomeLabels[card.outcome]}
            {card.productsBought.length > 0 && <> — bought {card.productsBought.join(", ")}</>}
          </p>
          {turns !== undefined && (
            <p>
              <strong>Turns:</strong> {turns}
            </p>
          )}
          {card.summary && <p>{card.summary}</p>}
        </div>
      </div>
      <table className="table">
        <caption className="visually-hidden">Score by technique</caption>
        <thead>
          <tr>
            <th scope="col">Technique</th>
            <th scope="col">Score</th>
            <th scope="col">Comment</th>
          </tr>
        </thead>
        <tbody>
          {card.items.map((it, i) => (
            <tr key={`${it.criterion}-${i}`}>
              <th scope="row">
                {it.criterion}
                <div>
                  <Badge tone={negativeTechniques.has(it.technique) ? "warn" : "info"}>{techniqueLabels[it.technique]}</Badge>
                </div>
              </th>
              <td className="num">
                {fmt(it.score)} / {fmt(it.maxScore)}
              </td>
              <td>
                {it.comment}
                {it.evidence && <blockquote className="evidence">“{it.evidence}”</blockquote>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
