import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { Outcome, ScenarioService, type Scenario } from "@gen/avatar/scenario/v1/scenario_pb";
import { Citations } from "../components/Citations";
import { Scorecard } from "../components/Scorecard";
import { Alert, Badge, Button, Card, PageHeader, Spinner, TextArea } from "../components/ui";
import { useConversation } from "../hooks/useConversation";
import { applyChunk, doneInfo, type ChatMessage } from "../lib/chat";
import { describeError } from "../lib/errors";
import { negativeTechniques, outcomeLabels, techniqueLabels } from "../lib/labels";
import { money } from "../lib/scenario";

/** Chat is text chat with the coach (no scenario) or a role-play customer. */
export function Chat({ mode }: { mode: Mode }) {
  const { scenarioId } = useParams();
  const conv = useConversation(mode, mode === Mode.ROLE_PLAY ? scenarioId : undefined);
  const scenario = useQuery(ScenarioService.method.getScenario, { id: scenarioId ?? "" }, { enabled: mode === Mode.ROLE_PLAY && !!scenarioId });
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [error, setError] = useState("");
  const nextId = useRef(1);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const partnerName = mode === Mode.TRAINING ? "Coach" : conv.persona?.name || "Customer";

  useEffect(() => {
    if (conv.status === "ready" && conv.opening && messages.length === 0) {
      setMessages([{ id: nextId.current++, role: "partner", text: conv.opening, citations: [], techniques: [], streaming: false }]);
    }
  }, [conv.status, conv.opening, messages.length]);

  useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [messages]);

  async function send(e?: FormEvent) {
    e?.preventDefault();
    const line = text.trim();
    if (!line || !conv.client || !conv.sessionId || sending) return;
    setText("");
    setError("");
    setSending(true);
    const mine: ChatMessage = { id: nextId.current++, role: "trainee", text: line, citations: [], techniques: [], streaming: false };
    const replyId = nextId.current++;
    const reply: ChatMessage = { id: replyId, role: "partner", text: "", citations: [], techniques: [], streaming: true, question: line };
    setMessages((m) => [...m, mine, reply]);
    const patch = (id: number, fn: (m: ChatMessage) => ChatMessage) => setMessages((all) => all.map((m) => (m.id === id ? fn(m) : m)));
    try {
      for await (const chunk of conv.client.sendMessage({ sessionId: conv.sessionId, text: line })) {
        patch(replyId, (m) => applyChunk(m, chunk));
        const info = doneInfo(chunk);
        if (info) {
          patch(mine.id, (m) => ({ ...m, techniques: info.techniques }));
          if (info.outcome !== undefined && info.outcome !== Outcome.OPEN) setOutcome(info.outcome);
        }
      }
      patch(replyId, (m) => ({ ...m, streaming: false }));
    } catch (err) {
      patch(replyId, (m) => ({ ...m, streaming: false, error: describeError(err) }));
    } finally {
      setSending(false);
      inputRef.current?.focus();
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  }

  const title = mode === Mode.TRAINING ? "Ask the coach" : scenario.data?.scenario?.title || "Role-play";
  const ended = conv.status === "ended";

  return (
    <>
      <PageHeader title={title}>
        {mode === Mode.ROLE_PLAY && scenarioId && !ended && (
          <Link className="btn btn-secondary" to={`/call/${encodeURIComponent(scenarioId)}`}>
            Switch to voice
          </Link>
        )}
        {(conv.status === "ready" || conv.status === "ending") && (
          <Button variant="danger" busy={conv.status === "ending"} onClick={() => void conv.end()}>
            End session
          </Button>
        )}
      </PageHeader>
      {mode === Mode.ROLE_PLAY && scenario.data?.scenario && <Brief s={scenario.data.scenario} />}
      {conv.status === "starting" && <Spinner label="Starting the session" />}
      {conv.status === "error" && (
        <Alert>
          The session could not start: {conv.error}{" "}
          <Button variant="secondary" onClick={conv.retry}>
            Try again
          </Button>
        </Alert>
      )}
      {conv.error && conv.status === "ready" && <Alert>{conv.error}</Alert>}
      {outcome !== undefined && !ended && (
        <Alert kind="info">
          {partnerName} has decided: <strong>{outcomeLabels[outcome]}</strong>. End the session to see your scorecard.
        </Alert>
      )}
      {conv.status !== "starting" && conv.status !== "error" && (
        <Card className="chat">
          <div className="chat-log" role="log" aria-live="polite" aria-label="Conversation" ref={logRef} tabIndex={0}>
            {messages.length === 0 && (
              <p className="empty">{mode === Mode.TRAINING ? "Ask about a product, a rule or a process." : "Open the conversation."}</p>
            )}
            {messages.map((m) => (
              <div key={m.id} className={`msg msg-${m.role}`} data-testid={`msg-${m.role}`}>
                <div className="msg-who">{m.role === "trainee" ? "You" : partnerName}</div>
                <div className="msg-text" aria-busy={m.streaming || undefined}>
                  {m.text}
                  {m.streaming && <span className="typing" aria-label="typing" />}
                </div>
                {m.error && <Alert>{m.error}</Alert>}
                {m.techniques.length > 0 && (
                  <div className="msg-techniques" aria-label="Techniques heard">
                    {m.techniques.map((t) => (
                      <Badge key={t} tone={negativeTechniques.has(t) ? "warn" : "good"}>
                        {techniqueLabels[t]}
                      </Badge>
                    ))}
                  </div>
                )}
                {!m.streaming && <Citations citations={m.citations} question={m.question} />}
              </div>
            ))}
          </div>
          {!ended && (
            <form className="chat-form" onSubmit={send}>
              <TextArea
                ref={inputRef}
                label="Message"
                rows={2}
                value={text}
                onChange={(e) => setText(e.target.value)}
                onKeyDown={onKeyDown}
                disabled={conv.status !== "ready"}
                hint="Enter sends; Shift+Enter starts a new line."
                autoFocus
              />
              <Button type="submit" busy={sending} disabled={!text.trim() || conv.status !== "ready"}>
                Send
              </Button>
            </form>
          )}
        </Card>
      )}
      {error && <Alert>{error}</Alert>}
      {ended && conv.ended?.scorecard && <Scorecard card={conv.ended.scorecard} turns={conv.ended.turnCount} />}
      {ended && !conv.ended?.scorecard && (
        <Alert kind="success">
          Session ended after {conv.ended?.turnCount ?? 0} turns. <Link to="/">Back home</Link>
        </Alert>
      )}
    </>
  );
}

/** Brief is the role-play set-up: who the customer is and the deal on the table. */
export function Brief({ s }: { s: Scenario }) {
  return (
    <Card title="The set-up" className="brief">
      {s.goal && (
        <p>
          <strong>Your goal:</strong> {s.goal}
        </p>
      )}
      <dl className="facts">
        {s.persona && (
          <div>
            <dt>Customer</dt>
            <dd>
              {s.persona.name}
              {s.persona.temperament && ` (${s.persona.temperament})`}
              {s.persona.background && ` — ${s.persona.background}`}
            </dd>
          </div>
        )}
        {s.deal && (
          <>
            <div>
              <dt>Vehicle</dt>
              <dd>
                {s.deal.vehicle}
                {s.deal.price > 0 && `, ${money(s.deal.price)}`}
              </dd>
            </div>
            {s.deal.monthlyPayment > 0 && (
              <div>
                <dt>Payment</dt>
                <dd>
                  {money(s.deal.monthlyPayment)}/month over {s.deal.termMonths} months at {s.deal.apr}% APR
                  {s.deal.lender && ` (${s.deal.lender})`}
                </dd>
              </div>
            )}
            {s.deal.products.length > 0 && (
              <div>
                <dt>Menu</dt>
                <dd>
                  {s.deal.products.map((p) => `${p.name} ${money(p.price)}${p.monthly ? ` (+${money(p.monthly)}/mo)` : ""}`).join(" · ")}
                </dd>
              </div>
            )}
          </>
        )}
      </dl>
    </Card>
  );
}
