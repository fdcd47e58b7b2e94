import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useServices, useSignedIn } from "../app/context";
import { Alert, Button, TextField } from "../components/ui";
import { describeError, reasonOf } from "../lib/errors";

/** SignIn asks for email and password, then for a two-factor code when the account has one. */
export function SignIn() {
  const { session } = useServices();
  const signedIn = useSignedIn();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next") || "/";
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [step, setStep] = useState<"password" | "totp">("password");
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  if (signedIn && !busy) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError("");
    setBusy(true);
    try {
      const second = step === "totp" ? (useRecovery ? { recoveryCode: code.trim() } : { totpCode: code.trim() }) : {};
      await session.signIn(email.trim(), password, second);
      navigate(next.startsWith("/") ? next : "/", { replace: true });
    } catch (err) {
      if (reasonOf(err) === "TOTP_REQUIRED") {
        setStep("totp");
      } else if (step === "totp" && reasonOf(err) === "UNAUTHENTICATED") {
        setError("That code is not right, or it was already used. Try the current code.");
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="signin">
      <form className="card signin-card" onSubmit={submit} noValidate>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            A
          </span>
          Avatar
        </div>
        <h1>{step === "password" ? "Sign in" : "Two-factor check"}</h1>
        {error && <Alert>{error}</Alert>}
        {step === "password" ? (
          <>
            <TextField
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoFocus
            />
            <TextField
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <Button type="submit" busy={busy} className="btn-block">
              Sign in
            </Button>
          </>
        ) : (
          <>
            <p>
              {useRecovery
                ? "Enter one of the recovery codes you saved when you turned on two-factor."
                : "Enter the 6-digit code from your authenticator app."}
            </p>
            <TextField
              key={useRecovery ? "recovery" : "totp"}
              label={useRecovery ? "Recovery code" : "Authentication code"}
              autoFocus
              inputMode={useRecovery ? "text" : "numeric"}
              autoComplete="one-time-code"
              pattern={useRecovery ? undefined : "[0-9]*"}
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <Button type="submit" busy={busy} className="btn-block">
              Verify
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                setUseRecovery(!useRecovery);
                setCode("");
                setError("");
              }}
            >
              {useRecovery ? "Use an authentication code" : "Use a recovery code"}
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                setStep("password");
                setCode("");
                setError("");
              }}
            >
              Back
            </Button>
          </>
        )}
      </form>
    </main>
  );
}
