import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Session } from "./session";

/**
 * authInterceptor adds the session's bearer token to every call. A unary call refused as
 * Unauthenticated (the token expired while the tab slept) is retried once after a refresh.
 */
export function authInterceptor(session: Session): Interceptor {
  return (next) => async (req) => {
    const token = await session.accessToken();
    if (token) req.header.set("Authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      if (!req.stream && token && err instanceof ConnectError && err.code === Code.Unauthenticated) {
        if (await session.refresh().catch(() => false)) {
          const again = await session.accessToken();
          if (again) req.header.set("Authorization", `Bearer ${again}`);
          return await next(req);
        }
      }
      throw err;
    }
  };
}

/** transportFor returns a Connect transport to baseUrl carrying the session's token. */
export function transportFor(baseUrl: string, session?: Session): Transport {
  return createConnectTransport({
    baseUrl,
    interceptors: session ? [authInterceptor(session)] : [],
  });
}
