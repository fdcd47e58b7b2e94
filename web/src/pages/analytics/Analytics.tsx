import { Link, useParams } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { AnalyticsService, type Session } from "@gen/avatar/analytics/v1/analytics_pb";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { useMe } from "../../app/context";
import { LatencyBar, LatencyLegend } from "../../components/LatencyBar";
import { Scorecard } from "../../components/Scorecard";
import { Alert, Badge, Card, EmptyState, PageHeader, Spinner, formatTime } from "../../components/ui";
import { stageLabels } from "../../lib/callview";
import { describeError, isUnimplemented } from "../../lib/errors";
import { techniqueLabels } from "../../lib/labels";
import { SessionItem } from "../Home";

function NotYet() {
  return <Alert kind="info">Analytics are not available on this server yet: sessions are recorded once the core keeps them.</Alert>;
}

function Failure({ error }: { error: unknown }) {
  return isUnimplemented(error) ? <NotYet /> : <Alert>{describeError(error)}</Alert>;
}

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

/** scoreSeries is the graded sessions in time order, for a score chart. */
export function scoreSeries(sessions: Session[]): { when: string; score: number }[] {
  return sessions
    .filter((s) => s.overallScore !== undefined && s.startTime)
    .sort((a, b) => Number((a.startTime?.seconds ?? 0n) - (b.startTime?.seconds ?? 0n)))
    .map((s) => ({
      when: new Date(Number(s.startTime!.seconds) * 1000).toLocaleString(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }),
      score: Math.round(s.overallScore ?? 0),
    }));
}

/** sessionsPerDay counts sessions by day, oldest first. */
export function sessionsPerDay(sessions: Session[]): { day: string; coach: number; roleplay: number }[] {
  const days = new Map<string, { day: string; coach: number; roleplay: number; t: number }>();
  for (const s of sessions) {
    if (!s.startTime) continue;
    const d = new Date(Number(s.startTime.seconds) * 1000);
    const key = d.toISOString().slice(0, 10);
    const row = days.get(key) ?? { day: d.toLocaleDateString(undefined, { month: "short", day: "numeric" }), coach: 0, roleplay: 0, t: d.getTime() };
    if (s.mode === Mode.TRAINING) row.coach++;
    else row.roleplay++;
    days.set(key, row);
  }
  return [...days.values()].sort((a, b) => a.t - b.t).map(({ day, coach, roleplay }) => ({ day, coach, roleplay }));
}

/** Progress is a trainee's own record: totals, the score trend, recent sessions. */
export function Progress() {
  const { user } = useMe();
  const stats = useQuery(AnalyticsService.method.getUserAnalytics, { userId: user?.id ?? "" }, { enabled: !!user, retry: false });
  const sessions = useQuery(AnalyticsService.method.listSessions, { userId: user?.id ?? "", pageSize: 100 }, { enabled: !!user, retry: false });
  const err = stats.error ?? sessions.error;
  return (
    <>
      <PageHeader title="Your progress" />
      {err && <Failure error={err} />}
      {(stats.isLoading || sessions.isLoading) && <Spinner label="Loading your progress" />}
      {stats.data && (
        <div className="stats">
          <Stat label="Sessions" value={stats.data.sessionCount} />
          <Stat label="Average score" value={Math.round(stats.data.averageScore)} />
          <Stat label="Practice time" value={`${Math.round(stats.data.practiceSeconds / 60)} min`} />
        </div>
      )}
      {sessions.data && (
        <>
          <Card title="Scores over time">
            <ScoreChart sessions={sessions.data.sessions} />
          </Card>
          <Card title="Sessions">
            {sessions.data.sessions.length === 0 && <EmptyState>No sessions yet.</EmptyState>}
            <ul className="session-list">
              {sessions.data.sessions.map((s) => (
                <SessionItem key={s.id} s={s} />
              ))}
            </ul>
          </Card>
        </>
      )}
    </>
  );
}

function ScoreChart({ sessions }: { sessions: Session[] }) {
  const data = scoreSeries(sessions);
  if (data.length === 0) return <EmptyState>No graded role-plays yet.</EmptyState>;
  return (
    <figure className="chart" aria-label={`Scores of ${data.length} graded sessions, latest ${data[data.length - 1].score}`}>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="when" />
          <YAxis domain={[0, 100]} />
          <Tooltip />
          <Line type="monotone" dataKey="score" name="Score" stroke="#2457d6" strokeWidth={2} dot isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Dashboard is the dealership's view: activity, scores and every session. */
export function Dashboard() {
  const { user } = useMe();
  const stats = useQuery(AnalyticsService.method.getDealershipAnalytics, { dealershipId: user?.dealershipId ?? "" }, { enabled: !!user, retry: false });
  const sessions = useQuery(AnalyticsService.method.listSessions, { pageSize: 200 }, { enabled: !!user, retry: false });
  const err = stats.error ?? sessions.error;
  const perDay = sessions.data ? sessionsPerDay(sessions.data.sessions) : [];
  return (
    <>
      <PageHeader title="Dealership dashboard" />
      {err && <Failure error={err} />}
      {(stats.isLoading || sessions.isLoading) && <Spinner label="Loading the dashboard" />}
      {stats.data && (
        <div className="stats">
          <Stat label="Sessions" value={stats.data.sessionCount} />
          <Stat label="Active trainees" value={stats.data.activeTrainees} />
          <Stat label="Average score" value={Math.round(stats.data.averageScore)} />
        </div>
      )}
      {sessions.data && (
        <div className="grid-2">
          <Card title="Sessions per day">
            {perDay.length === 0 ? (
              <EmptyState>No sessions yet.</EmptyState>
            ) : (
              <figure className="chart" aria-label={`Sessions on ${perDay.length} days`}>
                <ResponsiveContainer width="100%" height={260}>
                  <BarChart data={perDay}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="day" />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Legend />
                    <Bar dataKey="roleplay" name="Role-play" stackId="a" fill="#2457d6" isAnimationActive={false} />
                    <Bar dataKey="coach" name="Coach" stackId="a" fill="#1a9c6b" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
            )}
          </Card>
          <Card title="Scores over time">
            <ScoreChart sessions={sessions.data.sessions} />
          </Card>
        </div>
      )}
    </>
  );
}

/** Ops is turn-gap percentiles per region and stage (super admins). */
export function Ops() {
  const q = useQuery(AnalyticsService.method.getRegionLatency, {}, { retry: false });
  return (
    <>
      <PageHeader title="Voice latency by region" />
      {q.error && <Failure error={q.error} />}
      {q.isLoading && <Spinner label="Loading latency" />}
      {q.data && q.data.regions.length === 0 && <EmptyState>No voice turns in the last 24 hours.</EmptyState>}
      {q.data?.regions.map((r) => (
        <Card key={r.region} title={`Region ${r.region}`}>
          <figure className="chart" aria-label={`Stage percentiles in ${r.region}`}>
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={r.stages.map((s) => ({ stage: stageLabels[s.stage] ?? s.stage, p50: s.p50Ms, p95: s.p95Ms, p99: s.p99Ms }))}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="stage" />
                <YAxis unit=" ms" />
                <Tooltip />
                <Legend />
                <Bar dataKey="p50" fill="#1a9c6b" isAnimationActive={false} />
                <Bar dataKey="p95" fill="#e0a100" isAnimationActive={false} />
                <Bar dataKey="p99" fill="#c2410c" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">p99</th>
                <th scope="col">Turns</th>
              </tr>
            </thead>
            <tbody>
              {r.stages.map((s) => (
                <tr key={s.stage}>
                  <th scope="row">{stageLabels[s.stage] ?? s.stage}</th>
                  <td className="num">{Math.round(s.p50Ms)} ms</td>
                  <td className="num">{Math.round(s.p95Ms)} ms</td>
                  <td className="num">{Math.round(s.p99Ms)} ms</td>
                  <td className="num">{String(s.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ))}
    </>
  );
}

/** SessionDetail is one session: transcript, per-turn latency and the scorecard. */
export function SessionDetail() {
  const { id = "" } = useParams();
  const q = useQuery(AnalyticsService.method.getSession, { id }, { retry: false });
  const s = q.data?.session;
  return (
    <>
      <PageHeader title={s ? `${s.mode === Mode.TRAINING ? "Coach" : "Role-play"} session, ${formatTime(s.startTime)}` : "Session"}>
        <Link className="btn btn-secondary" to="/progress">
          Back to progress
        </Link>
      </PageHeader>
      {q.error && <Failure error={q.error} />}
      {q.isLoading && <Spinner label="Loading the session" />}
      {q.data && (
        <div className="grid-2">
          <Card title="Transcript">
            <div className="transcript">
              {q.data.turns.map((t) => (
                <div key={t.index} className="turn">
                  {t.userText && (
                    <p className="line line-trainee">
                      <span className="line-who">You:</span> {t.userText}
                      {t.techniques.map((x) => (
                        <Badge key={x}>{techniqueLabels[x]}</Badge>
                      ))}
                    </p>
                  )}
                  {t.replyText && (
                    <p className="line line-partner">
                      <span className="line-who">{t.speaker === "customer" || s?.mode === Mode.ROLE_PLAY ? "Customer" : "Coach"}:</span> {t.replyText}
                    </p>
                  )}
                </div>
              ))}
            </div>
          </Card>
          <Card title="Turn latency">
            <LatencyLegend />
            {q.data.turns
              .filter((t) => t.latencies.length > 0)
              .map((t) => (
                <LatencyBar key={t.index} turn={t.index} stages={Object.fromEntries(t.latencies.map((l) => [l.stage, l.milliseconds]))} bargeIn={t.bargeIn} />
              ))}
          </Card>
        </div>
      )}
      {q.data?.scorecard && <Scorecard card={q.data.scorecard} turns={s?.turnCount} />}
    </>
  );
}
