import { useMemo, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService } from "@gen/avatar/auth/v1/auth_pb";
import { useMe } from "../app/context";
import { Alert, Badge, Button, Card, PageHeader, Spinner, TextField } from "../components/ui";
import { describeError } from "../lib/errors";

/** pngDataUrl makes an <img> source of the core's QR code PNG. */
export function pngDataUrl(png: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < png.length; i += 0x8000) bin += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(bin)}`;
}

/** Security turns two-factor sign-in on (QR code, first code, recovery codes) and off. */
export function Security() {
  const { user, loading } = useMe();
  const qc = useQueryClient();
  const [code, setCode] = useState("");
  const enroll = useMutation(AuthService.method.enrollTotp);
  const confirm = useMutation(AuthService.method.confirmTotp, {
    onSuccess: () => {
      setCode("");
      void qc.invalidateQueries();
    },
  });
  const disable = useMutation(AuthService.method.disableTotp, {
    onSuccess: () => {
      setCode("");
      enroll.reset();
      confirm.reset();
      void qc.invalidateQueries();
    },
  });
  const qr = useMemo(() => (enroll.data?.qrPng.length ? pngDataUrl(enroll.data.qrPng) : ""), [enroll.data]);

  if (loading || !user) return <Spinner label="Loading your account" />;

  const recovery = confirm.data?.recoveryCodes;
  return (
    <>
      <PageHeader title="Security" />
      <Card title="Two-factor sign-in" actions={user.totpEnabled ? <Badge tone="good">On</Badge> : <Badge>Off</Badge>}>
        {recovery && (
          <Alert kind="success">
            <p>
              <strong>Two-factor is on.</strong> Save these recovery codes somewhere safe: each signs you in once if you lose your phone. They are
              not shown again.
            </p>
            <ul className="codes" data-testid="recovery-codes">
              {recovery.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          </Alert>
        )}
        {!user.totpEnabled && !enroll.data && (
          <>
            <p>Add a code from an authenticator app to every sign-in.</p>
            <Button busy={enroll.isPending} onClick={() => enroll.mutate({})}>
              Set up two-factor
            </Button>
          </>
        )}
        {!user.totpEnabled && enroll.data && (
          <form
            className="totp-setup"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              confirm.mutate({ code: code.trim() });
            }}
          >
            <ol>
              <li>Scan this code with your authenticator app.</li>
              <li>Enter the 6-digit code it shows.</li>
            </ol>
            {qr && <img className="qr" src={qr} width={200} height={200} alt="QR code for your authenticator app" data-testid="totp-qr" />}
            <details>
              <summary>Can't scan? Enter the key by hand</summary>
              <code className="secret">{enroll.data.secret}</code>
            </details>
            <TextField label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
            <Button type="submit" busy={confirm.isPending}>
              Turn on two-factor
            </Button>
          </form>
        )}
        {user.totpEnabled && !recovery && (
          <form
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              disable.mutate({ code: code.trim() });
            }}
          >
            <p>Your sign-in asks for a code from your authenticator app. To turn this off, enter a current code.</p>
            <TextField label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
            <Button type="submit" variant="danger" busy={disable.isPending}>
              Turn off two-factor
            </Button>
          </form>
        )}
        {[enroll.error, confirm.error, disable.error].filter(Boolean).map((e, i) => (
          <Alert key={i}>{describeError(e)}</Alert>
        ))}
      </Card>
    </>
  );
}
