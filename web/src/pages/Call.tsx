import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { ScenarioService } from "@gen/avatar/scenario/v1/scenario_pb";
import { useServices } from "../app/context";
import { LatencyBar, LatencyLegend } from "../components/LatencyBar";
import { Scorecard } from "../components/Scorecard";
import { Alert, Badge, Button, Card, PageHeader, Spinner } from "../components/ui";
import { useConversation } from "../hooks/useConversation";
import { VoiceCall, type CallPhase, type CallSnapshot } from "../lib/call";
import { negativeTechniques, outcomeLabels, techniqueLabels } from "../lib/labels";
import { Brief } from "./Chat";

const phaseLabels: Record<CallPhase, string> = {
  idle: "Not started",
  microphone: "Waiting for the microphone",
  connecting: "Connecting",
  connected: "Connected",
  reconnecting: "Reconnecting",
  ended: "Call ended",
  failed: "Call failed",
};

const stateLabels: Record<string, string> = {
  LISTENING: "Listening",
  USER_SPEAKING: "You are speaking",
  THINKING: "Thinking",
  SPEAKING: "Speaking",
};

/** Call is a voice call with the coach ("/call/coach") or a scenario's customer. */
export function Call() {
  const { scenarioId = "coach" } = useParams();
  const coach = scenarioId === "coach";
  const mode = coach ? Mode.TRAINING : Mode.ROLE_PLAY;
  const services = useServices();
  const conv = useConversation(mode, coach ? undefined : scenarioId);
  const scenario = useQuery(ScenarioService.method.getScenario, { id: scenarioId }, { enabled: !coach });
  const audioRef = useRef<HTMLAudioElement>(null);
  const callRef = useRef<VoiceCall | undefined>(undefined);
  const [snap, setSnap] = useState<CallSnapshot | undefined>();
  const partner = coach ? "Coach" : conv.persona?.name || "Customer";

  useEffect(() => () => void callRef.current?.hangup(), []);

  async function startCall() {
    if (!conv.sessionId || callRef.current) return;
    const call = new VoiceCall({
      sessionId: conv.sessionId,
      edgeUrl: async (retry) => {
        if (!retry && conv.edgeUrl) return conv.edgeUrl;
        services.edges.invalidate();
        return (await services.edges.pick()).url;
      },
      token: () => services.session.accessToken(),
      audio: audioRef.current ?? undefined,
      onChange: setSnap,
    });
    callRef.current = call;
    await call.start();
  }

  async function endCall() {
    await callRef.current?.hangup();
    await conv.end();
  }

  const phase = snap?.phase ?? "idle";
  const live = phase === "connecting" || phase === "connected" || phase === "reconnecting" || phase === "microphone";
  const view = snap?.view;
  const latest = useMemo(() => (view ? [...view.latencies].sort((a, b) => b.turn - a.turn) : []), [view]);
  const title = coach ? "Talk to the coach" : scenario.data?.scenario?.title || "Voice role-play";

  return (
    <>
      <PageHeader title={title}>
        {!coach && conv.status !== "ended" && (
          <Link className="btn btn-secondary" to={`/roleplay/${encodeURIComponent(scenarioId)}`}>
            Switch to text
          </Link>
        )}
      </PageHeader>
      {!coach && scenario.data?.scenario && phase === "idle" && <Brief s={scenario.data.scenario} />}
      {conv.status === "starting" && <Spinner label="Starting the session" />}
      {conv.status === "error" && (
        <Alert>
          The session could not start: {conv.error}{" "}
          <Button variant="secondary" onClick={conv.retry}>
            Try again
          </Button>
        </Alert>
      )}
      <audio ref={audioRef} autoPlay className="reply-audio" aria-label="Reply audio" />
      {conv.status === "ready" && phase === "idle" && (
        <Card title="Ready when you are">
          <p>
            The call uses your microphone. Your browser will ask for permission; {coach ? "ask the coach anything" : `${partner} speaks first`}.
            Headphones keep the reply out of your microphone.
          </p>
          <Button onClick={() => void startCall()}>Start call</Button>
        </Card>
      )}
      {snap && phase !== "idle" && conv.status !== "ended" && (
        <div className="call-grid">
          <Card
            title="Call"
            actions={
              <>
                <Button
                  variant="secondary"
                  aria-pressed={snap.muted}
                  disabled={!live}
                  onClick={() => callRef.current?.setMuted(!snap.muted)}
                >
                  {snap.muted ? "Unmute" : "Mute"}
                </Button>
                <Button variant="danger" busy={conv.status === "ending"} onClick={() => void endCall()}>
                  End call
                </Button>
              </>
            }
          >
            <div className="call-status" role="status" aria-live="polite">
              <Badge tone={phase === "connected" ? "good" : phase === "failed" ? "bad" : "warn"}>{phaseLabels[phase]}</Badge>
              {phase === "reconnecting" && snap.attempt > 0 && <span> attempt {snap.attempt}</span>}
              {view?.state && phase === "connected" && (
                <span className="call-state" data-testid="call-state">
                  {view.state === "SPEAKING" ? `${partner} is speaking` : stateLabels[view.state] ?? view.state}
                </span>
              )}
              {snap.muted && <Badge tone="warn">Muted</Badge>}
            </div>
            {snap.error && <Alert kind={phase === "failed" ? "error" : "info"}>{snap.error}</Alert>}
            <div className="meter-row">
              <span>{partner}'s voice</span>
              <meter
                min={0}
                max={1}
                value={Math.min(1, snap.audio.level * 4)}
                aria-label={`${partner}'s voice level`}
                data-testid="reply-level"
                data-energy={snap.audio.energy.toFixed(6)}
                data-bytes={snap.audio.bytesReceived}
              />
            </div>
            <div className="transcript" role="log" aria-live="polite" aria-label="Transcript" data-testid="transcript">
              {view?.lines.map((l, i) => (
                <p key={i} className={`line line-${l.speaker}`} data-testid={`line-${l.speaker}`}>
                  <span className="line-who">{l.speaker === "trainee" ? "You" : partner}:</span> {l.text}
                  {l.speaker === "trainee" && view.techniques[l.turn]?.length > 0 && (
                    <span className="msg-techniques">
                      {view.techniques[l.turn].map((t) => (
                        <Badge key={t} tone={negativeTechniques.has(t) ? "warn" : "good"}>
                          {techniqueLabels[t]}
                        </Badge>
                      ))}
                    </span>
                  )}
                </p>
              ))}
              {view?.partial && (
                <p className="line line-partial" data-testid="partial">
                  <span className="line-who">You:</span> {view.partial.text}…
                </p>
              )}
              {view && view.lines.length === 0 && !view.partial && <p className="empty">The transcript appears here as you talk.</p>}
            </div>
            {view?.outcome !== undefined && view.outcome > 1 && (
              <Alert kind="info">
                {partner} has decided: <strong>{outcomeLabels[view.outcome]}</strong>. End the call to see your scorecard.
              </Alert>
            )}
          </Card>
          <Card title="Turn latency">
            <LatencyLegend />
            {latest.length === 0 && <p className="empty">Each of your turns shows here, split by stage.</p>}
            {latest.slice(0, 8).map((l) => (
              <LatencyBar key={l.turn} turn={l.turn} stages={l.stages} bargeIn={l.bargeIn} />
            ))}
          </Card>
        </div>
      )}
      {conv.status === "ended" && conv.ended?.scorecard && <Scorecard card={conv.ended.scorecard} turns={conv.ended.turnCount} />}
      {conv.status === "ended" && !conv.ended?.scorecard && (
        <Alert kind="success">
          Call ended after {conv.ended?.turnCount ?? 0} turns. <Link to="/">Back home</Link>
        </Alert>
      )}
    </>
  );
}
