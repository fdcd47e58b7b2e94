import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService } from "@gen/avatar/auth/v1/auth_pb";
import { Role } from "@gen/avatar/org/v1/org_pb";
import { useMe } from "../../app/context";
import { Alert, Badge, Button, Card, EmptyState, PageHeader, SelectField, Spinner, TextField, formatTime } from "../../components/ui";
import { describeError } from "../../lib/errors";
import { roleLabels } from "../../lib/labels";

export function ApiKeys() {
  const { user } = useMe();
  const qc = useQueryClient();
  const list = useQuery(AuthService.method.listApiKeys, { pageSize: 200 });
  const revoke = useMutation(AuthService.method.revokeApiKey, { onSuccess: () => void qc.invalidateQueries() });
  const roles = user?.role === Role.SUPER_ADMIN ? [Role.TRAINEE, Role.DEALERSHIP_ADMIN, Role.EDGE_SERVICE] : [Role.TRAINEE, Role.DEALERSHIP_ADMIN];
  const [name, setName] = useState("");
  const [role, setRole] = useState(Role.TRAINEE);
  const [copied, setCopied] = useState(false);
  const create = useMutation(AuthService.method.createApiKey, {
    onSuccess: () => {
      setName("");
      setCopied(false);
      void qc.invalidateQueries();
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim(), role });
  }
  const secret = create.data?.secret;
  return (
    <>
      <PageHeader title="API keys" />
      <Card title="Create a key">
        <form className="form-grid" onSubmit={submit}>
          <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} hint="What uses it, e.g. “LMS sync”." />
          <SelectField
            label="Role"
            value={role}
            onChange={(e) => setRole(Number(e.target.value) as Role)}
            options={roles.map((r) => ({ value: r, label: roleLabels[r] }))}
          />
          <div className="form-actions">
            <Button type="submit" busy={create.isPending}>
              Create key
            </Button>
          </div>
        </form>
        {create.error && <Alert>{describeError(create.error)}</Alert>}
        {secret && (
          <Alert kind="success">
            <p>
              <strong>Copy the key now: it is shown only once.</strong>
            </p>
            <div className="secret-row">
              <code className="secret" data-testid="api-key-secret">
                {secret}
              </code>
              <Button
                variant="secondary"
                onClick={async () => {
                  await navigator.clipboard?.writeText(secret).catch(() => undefined);
                  setCopied(true);
                }}
              >
                {copied ? "Copied" : "Copy"}
              </Button>
            </div>
          </Alert>
        )}
      </Card>
      <Card title="Keys">
        {list.isLoading && <Spinner label="Loading keys" />}
        {list.error && <Alert>{describeError(list.error)}</Alert>}
        {revoke.error && <Alert>{describeError(revoke.error)}</Alert>}
        {list.data && list.data.apiKeys.length === 0 && <EmptyState>No API keys.</EmptyState>}
        {list.data && list.data.apiKeys.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col" className="hide-narrow">
                  Last used
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.apiKeys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">
                    {k.name}
                    <div className="muted">created {formatTime(k.createTime)}</div>
                  </th>
                  <td>{roleLabels[k.role]}</td>
                  <td className="hide-narrow">{k.lastUsedTime ? formatTime(k.lastUsedTime) : "never"}</td>
                  <td>
                    {k.revoked ? (
                      <Badge tone="bad">Revoked</Badge>
                    ) : (
                      <Button
                        variant="ghost"
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => window.confirm(`Revoke “${k.name}”? Anything using it stops working.`) && revoke.mutate({ id: k.id })}
                      >
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
