import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { OrgService, Role, type User } from "@gen/avatar/org/v1/org_pb";
import { useMe } from "../../app/context";
import { Alert, Badge, Button, Card, PageHeader, SelectField, Spinner, TextField, formatTime } from "../../components/ui";
import { describeError } from "../../lib/errors";
import { roleLabels } from "../../lib/labels";

const assignable = [Role.TRAINEE, Role.DEALERSHIP_ADMIN];

export function Users() {
  const { user: me } = useMe();
  const qc = useQueryClient();
  const list = useQuery(OrgService.method.listUsers, { pageSize: 200 });
  const update = useMutation(OrgService.method.updateUser, { onSuccess: () => void qc.invalidateQueries() });
  const deactivate = useMutation(OrgService.method.deactivateUser, { onSuccess: () => void qc.invalidateQueries() });
  const err = update.error ?? deactivate.error;
  return (
    <>
      <PageHeader title="Users" />
      <CreateUser dealershipId={me?.dealershipId ?? ""} />
      <Card title="People">
        {list.isLoading && <Spinner label="Loading users" />}
        {list.error && <Alert>{describeError(list.error)}</Alert>}
        {err && <Alert>{describeError(err)}</Alert>}
        {list.data && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col" className="hide-narrow">
                  Two-factor
                </th>
                <th scope="col" className="hide-narrow">
                  Since
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.users.map((u) => (
                <UserRow
                  key={u.id}
                  u={u}
                  self={u.id === me?.id}
                  onRole={(role) => update.mutate({ id: u.id, role })}
                  onDeactivate={() => deactivate.mutate({ id: u.id })}
                />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

function UserRow({ u, self, onRole, onDeactivate }: { u: User; self: boolean; onRole: (r: Role) => void; onDeactivate: () => void }) {
  const editable = !self && u.active && assignable.includes(u.role);
  return (
    <tr>
      <th scope="row">
        {u.displayName || u.email}
        <div className="muted">{u.email}</div>
        {!u.active && <Badge tone="bad">Deactivated</Badge>}
      </th>
      <td>
        {editable ? (
          <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => onRole(Number(e.target.value) as Role)}>
            {assignable.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </select>
        ) : (
          roleLabels[u.role]
        )}
      </td>
      <td className="hide-narrow">{u.totpEnabled ? <Badge tone="good">On</Badge> : <Badge>Off</Badge>}</td>
      <td className="hide-narrow">{formatTime(u.createTime)}</td>
      <td>
        {editable && (
          <Button variant="ghost" aria-label={`Deactivate ${u.email}`} onClick={() => window.confirm(`Deactivate ${u.email}? They are signed out everywhere.`) && onDeactivate()}>
            Deactivate
          </Button>
        )}
      </td>
    </tr>
  );
}

function CreateUser({ dealershipId }: { dealershipId: string }) {
  const qc = useQueryClient();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState(Role.TRAINEE);
  const create = useMutation(OrgService.method.createUser, {
    onSuccess: () => {
      setEmail("");
      setName("");
      setPassword("");
      void qc.invalidateQueries();
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ dealershipId, email: email.trim(), displayName: name.trim(), password, role });
  }
  return (
    <Card title="Add a user">
      <form className="form-grid" onSubmit={submit}>
        <TextField label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
        <TextField label="Display name" value={name} onChange={(e) => setName(e.target.value)} />
        <TextField
          label="Temporary password"
          type="password"
          required
          minLength={12}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
          hint="At least 12 characters; share it privately."
        />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(Number(e.target.value) as Role)}
          options={assignable.map((r) => ({ value: r, label: roleLabels[r] }))}
        />
        <div className="form-actions">
          <Button type="submit" busy={create.isPending}>
            Add user
          </Button>
        </div>
      </form>
      {create.error && <Alert>{describeError(create.error)}</Alert>}
      {create.isSuccess && <Alert kind="success">User added.</Alert>}
    </Card>
  );
}
