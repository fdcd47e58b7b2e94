import { createClient, type Transport } from "@connectrpc/connect";
import { QueryClient } from "@tanstack/react-query";
import { AuthService } from "@gen/avatar/auth/v1/auth_pb";
import type { AppConfig } from "../lib/config";
import { EdgeResolver } from "../lib/edge";
import { Session } from "../lib/session";
import { transportFor } from "../lib/transport";

/** Services are the app's long-lived objects, made once at start. */
export interface Services {
  config: AppConfig;
  session: Session;
  /** core is the transport to the core, with the session's token. */
  core: Transport;
  edges: EdgeResolver;
  /** edge returns a transport to an edge, with the session's token. */
  edge(url: string): Transport;
  queryClient: QueryClient;
}

export function createServices(config: AppConfig, storage?: Storage): Services {
  const anonymous = transportFor(config.coreUrl);
  const session = new Session(createClient(AuthService, anonymous), storage);
  const core = transportFor(config.coreUrl, session);
  const edgeTransports = new Map<string, Transport>();
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 10_000 },
    },
  });
  session.subscribe(() => {
    if (!session.signedIn) queryClient.clear();
  });
  return {
    config,
    session,
    core,
    edges: new EdgeResolver(core, config.fallbackEdgeUrl),
    edge(url) {
      let t = edgeTransports.get(url);
      if (!t) {
        t = transportFor(url, session);
        edgeTransports.set(url, t);
      }
      return t;
    },
    queryClient,
  };
}
