// UploadDocument is a client-streaming RPC, which fetch cannot send from a browser
// (connect-web refuses it). A Connect streaming request is just a body of enveloped
// messages, so this sends the whole stream in one XMLHttpRequest, which also reports
// upload progress.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelopes, type EnvelopedMessage } from "@connectrpc/connect/protocol";
import { endStreamFlag, endStreamFromJson } from "@connectrpc/connect/protocol-connect";
import {
  KnowledgeService,
  UploadDocumentRequestSchema,
  UploadDocumentResponseSchema,
  type UploadDocumentResponse,
} from "@gen/avatar/knowledge/v1/knowledge_pb";

/** chunkBytes is the size of each chunk message, well under the core's 1 MiB message cap. */
export const chunkBytes = 256 * 1024;

export interface UploadMeta {
  title: string;
  filename: string;
  contentType: string;
  tags?: string[];
  replacesDocumentId?: string;
}

/** uploadBody encodes the request stream: the metadata message, then the bytes in chunks. */
export function uploadBody(meta: UploadMeta, data: Uint8Array): Uint8Array {
  const envelopes: EnvelopedMessage[] = [
    {
      flags: 0,
      data: toBinary(
        UploadDocumentRequestSchema,
        create(UploadDocumentRequestSchema, {
          payload: {
            case: "metadata",
            value: {
              title: meta.title,
              filename: meta.filename,
              contentType: meta.contentType,
              tags: meta.tags ?? [],
              replacesDocumentId: meta.replacesDocumentId ?? "",
            },
          },
        }),
      ),
    },
  ];
  for (let off = 0; off < data.length; off += chunkBytes) {
    envelopes.push({
      flags: 0,
      data: toBinary(
        UploadDocumentRequestSchema,
        create(UploadDocumentRequestSchema, { payload: { case: "chunk", value: data.subarray(off, off + chunkBytes) } }),
      ),
    });
  }
  return encodeEnvelopes(...envelopes);
}

/** parseUploadResponse decodes a Connect streaming response: one message, then the end of stream. */
export function parseUploadResponse(body: Uint8Array): UploadDocumentResponse {
  let msg: UploadDocumentResponse | undefined;
  let off = 0;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  while (off + 5 <= body.length) {
    const flags = body[off];
    const len = view.getUint32(off + 1);
    const data = body.subarray(off + 5, off + 5 + len);
    if (data.length !== len) break;
    off += 5 + len;
    if ((flags & endStreamFlag) === endStreamFlag) {
      const end = endStreamFromJson(data);
      if (end.error) throw end.error;
      continue;
    }
    msg = fromBinary(UploadDocumentResponseSchema, data);
  }
  if (!msg) throw new ConnectError("the server ended the upload without a response", Code.Internal);
  return msg;
}

const statusCodes: Record<number, Code> = {
  400: Code.Internal,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.Unimplemented,
  413: Code.ResourceExhausted,
  429: Code.Unavailable,
  502: Code.Unavailable,
  503: Code.Unavailable,
  504: Code.Unavailable,
};

export interface UploadOptions {
  baseUrl: string;
  token: string | undefined;
  /** onProgress gets the share of the request body sent, 0 to 1. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  xhr?: () => XMLHttpRequest;
}

/** uploadDocument sends a file to KnowledgeService/UploadDocument and returns the new document. */
export function uploadDocument(meta: UploadMeta, data: Uint8Array, opts: UploadOptions): Promise<UploadDocumentResponse> {
  const body = uploadBody(meta, data);
  const url = `${opts.baseUrl}/${KnowledgeService.typeName}/${KnowledgeService.method.uploadDocument.name}`;
  return new Promise((resolve, reject) => {
    const xhr = (opts.xhr ?? (() => new XMLHttpRequest()))();
    xhr.open("POST", url);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("Content-Type", "application/connect+proto");
    xhr.setRequestHeader("Connect-Protocol-Version", "1");
    if (opts.token) xhr.setRequestHeader("Authorization", `Bearer ${opts.token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onProgress?.(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ConnectError("the upload could not reach the server", Code.Unavailable));
    xhr.onabort = () => reject(new ConnectError("upload cancelled", Code.Canceled));
    xhr.onload = () => {
      const res = new Uint8Array((xhr.response as ArrayBuffer | null) ?? new ArrayBuffer(0));
      if (xhr.status !== 200) {
        const text = new TextDecoder().decode(res).trim();
        reject(new ConnectError(text || `HTTP ${xhr.status}`, statusCodes[xhr.status] ?? Code.Unknown));
        return;
      }
      try {
        opts.onProgress?.(1);
        resolve(parseUploadResponse(res));
      } catch (err) {
        reject(ConnectError.from(err));
      }
    };
    opts.signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body as Uint8Array<ArrayBuffer>);
  });
}
