import { Link } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import { AnalyticsService, type Session } from "@gen/avatar/analytics/v1/analytics_pb";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { ScenarioService, type Scenario } from "@gen/avatar/scenario/v1/scenario_pb";
import { useMe } from "../app/context";
import { Alert, Badge, Card, EmptyState, PageHeader, Spinner, formatTime } from "../components/ui";
import { describeError, isUnimplemented } from "../lib/errors";
import { difficultyOf, money } from "../lib/scenario";

export function Home() {
  const { user } = useMe();
  const scenarios = useQuery(ScenarioService.method.listScenarios, { pageSize: 100 });
  const first = user?.displayName?.split(" ")[0];
  return (
    <>
      <PageHeader title={first ? `Welcome, ${first}` : "Home"} />
      <div className="grid-2">
        <Card title="Ask the coach">
          <p>Questions about products, compliance or process: the coach answers from your dealership's documents and cites them.</p>
          <div className="row">
            <Link className="btn btn-primary" to="/coach">
              Ask the coach
            </Link>
            <Link className="btn btn-secondary" to="/call/coach">
              Talk to the coach
            </Link>
          </div>
        </Card>
        <RecentSessions />
      </div>
      <Card title="Role-play scenarios">
        {scenarios.isLoading && <Spinner label="Loading scenarios" />}
        {scenarios.error && <Alert>{describeError(scenarios.error)}</Alert>}
        {scenarios.data && scenarios.data.scenarios.length === 0 && <EmptyState>No scenarios yet.</EmptyState>}
        <ul className="scenario-list">
          {scenarios.data?.scenarios.map((s) => <ScenarioItem key={s.id} s={s} />)}
        </ul>
      </Card>
    </>
  );
}

function ScenarioItem({ s }: { s: Scenario }) {
  const diff = difficultyOf(s);
  return (
    <li className="scenario">
      <div className="scenario-main">
        <h3>{s.title}</h3>
        <div className="scenario-tags">
          <Badge tone={diff === "Hard" ? "bad" : diff === "Medium" ? "warn" : "good"}>{diff}</Badge>
          <Badge>{s.builtIn ? "Built-in" : "Dealership"}</Badge>
        </div>
        {s.description && <p>{s.description}</p>}
        <dl className="facts">
          {s.persona && (
            <div>
              <dt>Customer</dt>
              <dd>
                {s.persona.name}
                {s.persona.temperament && `, ${s.persona.temperament}`}
              </dd>
            </div>
          )}
          {s.deal && (
            <div>
              <dt>Deal</dt>
              <dd>
                {s.deal.vehicle}
                {s.deal.price > 0 && ` · ${money(s.deal.price)}`}
                {s.deal.products.length > 0 && ` · ${s.deal.products.map((p) => p.name).join(", ")}`}
              </dd>
            </div>
          )}
        </dl>
      </div>
      <div className="scenario-actions">
        <Link className="btn btn-primary" to={`/roleplay/${encodeURIComponent(s.id)}`} aria-label={`Practise by text: ${s.title}`}>
          Practise by text
        </Link>
        <Link className="btn btn-secondary" to={`/call/${encodeURIComponent(s.id)}`} aria-label={`Practise by voice: ${s.title}`}>
          Practise by voice
        </Link>
      </div>
    </li>
  );
}

/** RecentSessions lists the trainee's last sessions; hidden while the core has no AnalyticsService. */
function RecentSessions() {
  const q = useQuery(AnalyticsService.method.listSessions, { pageSize: 5 }, { retry: false });
  if (q.error && isUnimplemented(q.error)) return null;
  return (
    <Card title="Recent sessions" actions={<Link to="/progress">All progress</Link>}>
      {q.isLoading && <Spinner label="Loading sessions" />}
      {q.error && <Alert>{describeError(q.error)}</Alert>}
      {q.data && q.data.sessions.length === 0 && <EmptyState>No sessions yet: pick a scenario below.</EmptyState>}
      <ul className="session-list">
        {q.data?.sessions.map((s) => <SessionItem key={s.id} s={s} />)}
      </ul>
    </Card>
  );
}

export function SessionItem({ s }: { s: Session }) {
  return (
    <li>
      <Link to={`/sessions/${encodeURIComponent(s.id)}`}>
        {s.mode === Mode.TRAINING ? "Coach" : "Role-play"} · {formatTime(s.startTime)}
      </Link>
      <span className="session-meta">
        {s.turnCount} turns
        {s.overallScore !== undefined && <Badge tone={s.overallScore >= 70 ? "good" : s.overallScore >= 40 ? "warn" : "bad"}>{Math.round(s.overallScore)}</Badge>}
      </span>
    </li>
  );
}
