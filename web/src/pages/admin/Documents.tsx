import { useEffect, useRef, useState, type FormEvent } from "react";
import { createClient } from "@connectrpc/connect";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import {
  DocumentStatus,
  IngestStage,
  KnowledgeService,
  type Document,
} from "@gen/avatar/knowledge/v1/knowledge_pb";
import { useServices } from "../../app/context";
import { Alert, Badge, Button, Card, Dialog, EmptyState, PageHeader, ProgressBar, Spinner, TextField, formatTime } from "../../components/ui";
import { describeError } from "../../lib/errors";
import { documentStatusLabels, ingestStageLabels } from "../../lib/labels";
import { uploadDocument } from "../../lib/upload";

interface Progress {
  stage: IngestStage;
  percent: number;
}

const statusTone: Record<DocumentStatus, "neutral" | "good" | "bad" | "warn" | "info"> = {
  [DocumentStatus.UNSPECIFIED]: "neutral",
  [DocumentStatus.PENDING]: "info",
  [DocumentStatus.PROCESSING]: "warn",
  [DocumentStatus.READY]: "good",
  [DocumentStatus.FAILED]: "bad",
};

export function Documents() {
  const services = useServices();
  const qc = useQueryClient();
  const list = useQuery(KnowledgeService.method.listDocuments, { pageSize: 200 });
  const [live, setLive] = useState<Record<string, { doc: Document; progress?: Progress }>>({});
  const [deleting, setDeleting] = useState<Document | undefined>();
  const del = useMutation(KnowledgeService.method.deleteDocument, {
    onSuccess: (_res, req) => {
      setDeleting(undefined);
      setLive((m) => {
        const rest = { ...m };
        delete rest[req.id ?? ""];
        return rest;
      });
      void qc.invalidateQueries();
    },
  });

  // Watch every document still in ingestion, until it is READY or FAILED.
  const watchers = useRef(new Map<string, AbortController>());
  const docs = mergeDocs(list.data?.documents ?? [], live);
  const inFlight = docs
    .filter((d) => d.status === DocumentStatus.PENDING || d.status === DocumentStatus.PROCESSING)
    .map((d) => d.id)
    .join(",");
  const refetch = list.refetch;
  useEffect(() => {
    const client = createClient(KnowledgeService, services.core);
    for (const id of inFlight ? inFlight.split(",") : []) {
      if (watchers.current.has(id)) continue;
      const ac = new AbortController();
      watchers.current.set(id, ac);
      void (async () => {
        try {
          for await (const ev of client.watchDocument({ id }, { signal: ac.signal })) {
            const doc = ev.document;
            if (doc) setLive((m) => ({ ...m, [id]: { doc, progress: { stage: ev.stage, percent: ev.percent } } }));
          }
        } catch {
          // The list refresh below picks up the final state.
        } finally {
          if (watchers.current.get(id) === ac) watchers.current.delete(id);
          if (!ac.signal.aborted) void refetch();
        }
      })();
    }
  }, [inFlight, services.core, refetch]);
  useEffect(() => {
    const all = watchers.current;
    return () => all.forEach((ac) => ac.abort());
  }, []);

  return (
    <>
      <PageHeader title="Documents" />
      <UploadForm onUploaded={(d) => setLive((m) => ({ ...m, [d.id]: { doc: d } }))} />
      <Card title="Knowledge base">
        {list.isLoading && <Spinner label="Loading documents" />}
        {list.error && <Alert>{describeError(list.error)}</Alert>}
        {list.data && docs.length === 0 && <EmptyState>No documents yet: upload the dealership's guides, menus and policies.</EmptyState>}
        {docs.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-narrow">
                  Passages
                </th>
                <th scope="col" className="hide-narrow">
                  Updated
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {docs.map((d) => {
                const p = live[d.id]?.progress;
                const inFlight = d.status === DocumentStatus.PENDING || d.status === DocumentStatus.PROCESSING;
                return (
                  <tr key={d.id} data-testid="document-row">
                    <th scope="row">
                      {d.title}
                      <div className="muted">{d.filename}</div>
                    </th>
                    <td>
                      <span data-testid="document-status">
                        <Badge tone={statusTone[d.status]}>{documentStatusLabels[d.status]}</Badge>
                      </span>
                      {inFlight && p && (
                        <ProgressBar
                          label={`Ingest of ${d.title}`}
                          value={p.percent / 100}
                          text={`${ingestStageLabels[p.stage] || "Working"} ${p.percent}%`}
                        />
                      )}
                      {d.status === DocumentStatus.FAILED && d.failureReason && <div className="field-error">{d.failureReason}</div>}
                    </td>
                    <td className="num hide-narrow">{d.chunkCount || ""}</td>
                    <td className="hide-narrow">{formatTime(d.updateTime)}</td>
                    <td>
                      <Button variant="ghost" aria-label={`Delete ${d.title}`} onClick={() => setDeleting(d)}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Dialog open={deleting !== undefined} title="Delete document?" onClose={() => setDeleting(undefined)}>
        <p>
          “{deleting?.title}” and its passages leave the knowledge base; the coach stops citing it. This cannot be undone.
        </p>
        {del.error && <Alert>{describeError(del.error)}</Alert>}
        <div className="row">
          <Button variant="danger" busy={del.isPending} onClick={() => deleting && del.mutate({ id: deleting.id })}>
            Delete
          </Button>
          <Button variant="secondary" onClick={() => setDeleting(undefined)}>
            Cancel
          </Button>
        </div>
      </Dialog>
    </>
  );
}

function mergeDocs(listed: Document[], live: Record<string, { doc: Document }>): Document[] {
  const byId = new Map(listed.map((d) => [d.id, d]));
  for (const [id, { doc }] of Object.entries(live)) {
    const have = byId.get(id);
    if (!have || (have.updateTime?.seconds ?? 0n) <= (doc.updateTime?.seconds ?? 0n) || have.status < doc.status) byId.set(id, doc);
  }
  return [...byId.values()].sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
}

function UploadForm({ onUploaded }: { onUploaded: (d: Document) => void }) {
  const services = useServices();
  const qc = useQueryClient();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | undefined>();
  const [title, setTitle] = useState("");
  const [tags, setTags] = useState("");
  const [progress, setProgress] = useState<number | undefined>();
  const [error, setError] = useState("");
  const [done, setDone] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setError("Choose a file to upload.");
      return;
    }
    setError("");
    setDone("");
    setProgress(0);
    try {
      const data = new Uint8Array(await file.arrayBuffer());
      const res = await uploadDocument(
        {
          title: title.trim() || file.name.replace(/\.[^.]+$/, ""),
          filename: file.name,
          contentType: file.type,
          tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
        },
        data,
        { baseUrl: services.config.coreUrl, token: await services.session.accessToken(), onProgress: setProgress },
      );
      if (res.document) onUploaded(res.document);
      setDone(`Uploaded “${res.document?.title ?? file.name}”. Ingestion continues below.`);
      setFile(undefined);
      setTitle("");
      if (fileRef.current) fileRef.current.value = "";
      void qc.invalidateQueries();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setProgress(undefined);
    }
  }

  return (
    <Card title="Upload a document">
      <form className="form-grid" onSubmit={submit}>
        <TextField
          ref={fileRef}
          label="File"
          type="file"
          accept=".pdf,.txt,.md,.html,.htm,.docx,text/plain,text/markdown,text/html,application/pdf"
          hint="PDF, Word, HTML, Markdown or plain text, up to 50 MB."
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        <TextField label="Title" value={title} onChange={(e) => setTitle(e.target.value)} placeholder={file?.name.replace(/\.[^.]+$/, "") ?? ""} />
        <TextField label="Tags" value={tags} onChange={(e) => setTags(e.target.value)} hint="Comma-separated, optional." />
        <div className="form-actions">
          <Button type="submit" busy={progress !== undefined}>
            Upload
          </Button>
        </div>
      </form>
      {progress !== undefined && <ProgressBar label="Upload" value={progress} />}
      {error && <Alert>{error}</Alert>}
      {done && <Alert kind="success">{done}</Alert>}
    </Card>
  );
}
