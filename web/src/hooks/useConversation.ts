import { useCallback, useEffect, useRef, useState } from "react";
import { createClient, type Client } from "@connectrpc/connect";
import {
  ConversationService,
  Mode,
  type EndSessionResponse,
} from "@gen/avatar/conversation/v1/conversation_pb";
import type { Persona } from "@gen/avatar/scenario/v1/scenario_pb";
import { useServices } from "../app/context";
import { describeError } from "../lib/errors";

export interface Conversation {
  status: "starting" | "ready" | "error" | "ending" | "ended";
  error?: string;
  sessionId?: string;
  opening?: string;
  persona?: Persona;
  edgeUrl?: string;
  client?: Client<typeof ConversationService>;
  ended?: EndSessionResponse;
  retry(): void;
  end(): Promise<void>;
}

/**
 * useConversation starts a session on the edge (coach or role-play) once per mount, and
 * ends it on demand. The edge comes from RegionService/PickEdge, else the configured one.
 */
export function useConversation(mode: Mode, scenarioId: string | undefined): Conversation {
  const services = useServices();
  const [state, setState] = useState<Omit<Conversation, "retry" | "end">>({ status: "starting" });
  const [attempt, setAttempt] = useState(0);
  const started = useRef<string>("");

  useEffect(() => {
    const key = `${mode}:${scenarioId ?? ""}:${attempt}`;
    if (started.current === key) return;
    started.current = key;
    let cancelled = false;
    setState({ status: "starting" });
    (async () => {
      try {
        const edge = await services.edges.pick();
        const client = createClient(ConversationService, services.edge(edge.url));
        const res = await client.startSession({ mode, scenarioId: scenarioId ?? "" });
        if (cancelled) return;
        setState({
          status: "ready",
          sessionId: res.sessionId,
          opening: res.opening,
          persona: res.persona,
          edgeUrl: edge.url,
          client,
        });
      } catch (err) {
        services.edges.invalidate();
        if (!cancelled) setState({ status: "error", error: describeError(err) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [mode, scenarioId, attempt, services]);

  const end = useCallback(async () => {
    const { client, sessionId } = state;
    if (!client || !sessionId) return;
    setState((s) => ({ ...s, status: "ending" }));
    try {
      const res = await client.endSession({ sessionId });
      setState((s) => ({ ...s, status: "ended", ended: res }));
    } catch (err) {
      setState((s) => ({ ...s, status: "ready", error: describeError(err) }));
    }
  }, [state]);

  return { ...state, retry: () => setAttempt((a) => a + 1), end };
}
