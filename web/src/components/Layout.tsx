import { NavLink, Outlet, useNavigate } from "react-router";
import { Role } from "@gen/avatar/org/v1/org_pb";
import { useMe, useServices } from "../app/context";
import { isAdmin, roleLabels } from "../lib/labels";
import { Button } from "./ui";

function Link({ to, children, end }: { to: string; children: string; end?: boolean }) {
  return (
    <NavLink to={to} end={end} className={({ isActive }) => `nav-link${isActive ? " active" : ""}`}>
      {children}
    </NavLink>
  );
}

export function Layout() {
  const { session } = useServices();
  const { user } = useMe();
  const navigate = useNavigate();
  const admin = isAdmin(user?.role);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <NavLink to="/" className="brand" aria-label="Avatar home">
            <span className="brand-mark" aria-hidden="true">
              A
            </span>
            Avatar
          </NavLink>
          <nav aria-label="Main" className="nav">
            <Link to="/" end>
              Home
            </Link>
            <Link to="/coach">Coach</Link>
            <Link to="/progress">Progress</Link>
            {admin && (
              <>
                <Link to="/admin/documents">Documents</Link>
                <Link to="/admin/users">Users</Link>
                <Link to="/admin/scenarios">Scenarios</Link>
                <Link to="/admin/api-keys">API keys</Link>
                <Link to="/admin/webhooks">Webhooks</Link>
                <Link to="/admin/audit">Audit log</Link>
                <Link to="/analytics">Dashboard</Link>
              </>
            )}
            {user?.role === Role.SUPER_ADMIN && <Link to="/analytics/ops">Latency</Link>}
            <Link to="/security">Security</Link>
          </nav>
          <div className="account">
            {user && (
              <span className="account-name" title={user.email}>
                {user.displayName || user.email}
                <span className="account-role">{roleLabels[user.role]}</span>
              </span>
            )}
            <Button
              variant="secondary"
              onClick={async () => {
                await session.signOut();
                navigate("/signin", { replace: true });
              }}
            >
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
