import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { OrgService } from "@gen/avatar/org/v1/org_pb";
import { Alert, Button, Card, EmptyState, PageHeader, Spinner, formatTime } from "../../components/ui";
import { describeError } from "../../lib/errors";

export function Audit() {
  const [pages, setPages] = useState<string[]>([""]);
  const token = pages[pages.length - 1];
  const q = useQuery(OrgService.method.listAuditEvents, { pageSize: 50, pageToken: token });
  return (
    <>
      <PageHeader title="Audit log" />
      <Card
        title="Changes, newest first"
        actions={
          <>
            <Button variant="secondary" disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>
              Newer
            </Button>
            <Button variant="secondary" disabled={!q.data?.nextPageToken} onClick={() => q.data && setPages([...pages, q.data.nextPageToken])}>
              Older
            </Button>
          </>
        }
      >
        {q.isLoading && <Spinner label="Loading the audit log" />}
        {q.error && <Alert>{describeError(q.error)}</Alert>}
        {q.data && q.data.events.length === 0 && <EmptyState>Nothing recorded yet.</EmptyState>}
        {q.data && q.data.events.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col" className="hide-narrow">
                  Changes
                </th>
              </tr>
            </thead>
            <tbody>
              {q.data.events.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.createTime)}</td>
                  <td>
                    {e.actorEmail || e.actorId}
                    <div className="muted">{e.ip}</div>
                  </td>
                  <td>
                    {e.action.split("/").pop()}
                    <div className="muted">
                      {e.resourceType} {e.resourceId}
                    </div>
                  </td>
                  <td className="hide-narrow">
                    {Object.entries(e.changedFields).map(([k, v]) => (
                      <div key={k}>
                        <code>{k}</code>: {v}
                      </div>
                    ))}
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
