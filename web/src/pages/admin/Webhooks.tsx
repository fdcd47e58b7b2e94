import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { KnowledgeService } from "@gen/avatar/knowledge/v1/knowledge_pb";
import { Alert, Button, Card, PageHeader, Spinner, TextField } from "../../components/ui";
import { describeError } from "../../lib/errors";

export function Webhooks() {
  const current = useQuery(KnowledgeService.method.getWebhook, {});
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  useEffect(() => {
    if (current.data) setUrl(current.data.url);
  }, [current.data]);
  const save = useMutation(KnowledgeService.method.setWebhook, { onSuccess: () => void current.refetch() });
  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate({ url: url.trim(), secret });
  }
  return (
    <>
      <PageHeader title="Webhooks" />
      <Card title="Document notifications">
        <p>
          When a document becomes ready or fails, the core POSTs a JSON event to this URL, signed with HMAC-SHA256 of the body in the
          <code> X-Avatar-Signature</code> header. Leave the URL empty to stop notifications.
        </p>
        {current.isLoading && <Spinner label="Loading the webhook" />}
        {current.error && <Alert>{describeError(current.error)}</Alert>}
        <form className="form-grid" onSubmit={submit}>
          <TextField label="URL" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://lms.example.com/hooks/avatar" />
          <TextField
            label="Signing secret"
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            autoComplete="new-password"
            hint="Stored encrypted; never shown again."
          />
          <div className="form-actions">
            <Button type="submit" busy={save.isPending}>
              Save webhook
            </Button>
          </div>
        </form>
        {save.error && <Alert>{describeError(save.error)}</Alert>}
        {save.isSuccess && <Alert kind="success">Webhook saved.</Alert>}
      </Card>
    </>
  );
}
