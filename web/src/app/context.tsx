import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import { TransportProvider, useQuery } from "@connectrpc/connect-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { OrgService, type User } from "@gen/avatar/org/v1/org_pb";
import type { Services } from "./services";

const ServicesContext = createContext<Services | undefined>(undefined);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return (
    <ServicesContext.Provider value={services}>
      <TransportProvider transport={services.core}>
        <QueryClientProvider client={services.queryClient}>{children}</QueryClientProvider>
      </TransportProvider>
    </ServicesContext.Provider>
  );
}

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error("useServices outside ServicesProvider");
  return s;
}

/** useSignedIn re-renders on sign-in, refresh and sign-out. */
export function useSignedIn(): boolean {
  const { session } = useServices();
  return useSyncExternalStore(
    (fn) => session.subscribe(fn),
    () => session.signedIn,
  );
}

/** useMe returns the signed-in user (OrgService/GetMe). */
export function useMe(): { user: User | undefined; loading: boolean; error: unknown } {
  const signedIn = useSignedIn();
  const q = useQuery(OrgService.method.getMe, {}, { enabled: signedIn, staleTime: 60_000 });
  return { user: q.data?.user, loading: q.isLoading, error: q.error };
}
