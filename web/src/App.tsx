import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation } from "react-router";
import { Mode } from "@gen/avatar/conversation/v1/conversation_pb";
import { useMe, useSignedIn } from "./app/context";
import { Layout } from "./components/Layout";
import { Alert, PageHeader, Spinner } from "./components/ui";
import { describeError } from "./lib/errors";
import { isAdmin } from "./lib/labels";
import { ApiKeys } from "./pages/admin/ApiKeys";
import { Audit } from "./pages/admin/Audit";
import { Documents } from "./pages/admin/Documents";
import { ScenarioEdit, Scenarios } from "./pages/admin/Scenarios";
import { Users } from "./pages/admin/Users";
import { Webhooks } from "./pages/admin/Webhooks";
import { Call } from "./pages/Call";
import { Chat } from "./pages/Chat";
import { Home } from "./pages/Home";
import { Security } from "./pages/Security";
import { SignIn } from "./pages/SignIn";

// Analytics carry the chart library; they load on first visit, not with the app.
const analytics = () => import("./pages/analytics/Analytics");
const Progress = lazy(() => analytics().then((m) => ({ default: m.Progress })));
const Dashboard = lazy(() => analytics().then((m) => ({ default: m.Dashboard })));
const Ops = lazy(() => analytics().then((m) => ({ default: m.Ops })));
const SessionDetail = lazy(() => analytics().then((m) => ({ default: m.SessionDetail })));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Spinner />}>{children}</Suspense>;
}

function RequireAuth({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  return <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const { user, loading, error } = useMe();
  if (loading) return <Spinner />;
  if (error) return <Alert>{describeError(error)}</Alert>;
  if (!isAdmin(user?.role)) {
    return (
      <>
        <PageHeader title="Not allowed" />
        <Alert>This page is for dealership admins.</Alert>
      </>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is nothing at this address. <Link to="/">Go home</Link>
      </p>
    </>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Home />} />
        <Route path="coach" element={<Chat key="coach" mode={Mode.TRAINING} />} />
        <Route path="roleplay/:scenarioId" element={<Chat key="roleplay" mode={Mode.ROLE_PLAY} />} />
        <Route path="call/:scenarioId" element={<Call />} />
        <Route path="progress" element={<Lazy><Progress /></Lazy>} />
        <Route path="sessions/:id" element={<Lazy><SessionDetail /></Lazy>} />
        <Route path="security" element={<Security />} />
        <Route path="admin/documents" element={<RequireAdmin><Documents /></RequireAdmin>} />
        <Route path="admin/users" element={<RequireAdmin><Users /></RequireAdmin>} />
        <Route path="admin/scenarios" element={<RequireAdmin><Scenarios /></RequireAdmin>} />
        <Route path="admin/scenarios/:id" element={<RequireAdmin><ScenarioEdit /></RequireAdmin>} />
        <Route path="admin/api-keys" element={<RequireAdmin><ApiKeys /></RequireAdmin>} />
        <Route path="admin/webhooks" element={<RequireAdmin><Webhooks /></RequireAdmin>} />
        <Route path="admin/audit" element={<RequireAdmin><Audit /></RequireAdmin>} />
        <Route path="analytics" element={<RequireAdmin><Lazy><Dashboard /></Lazy></RequireAdmin>} />
        <Route path="analytics/ops" element={<RequireAdmin><Lazy><Ops /></Lazy></RequireAdmin>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
