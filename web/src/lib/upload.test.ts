import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  DocumentStatus,
  UploadDocumentRequestSchema,
  UploadDocumentResponseSchema,
} from "@gen/avatar/knowledge/v1/knowledge_pb";
import { ErrorDetailSchema } from "@gen/avatar/errors/v1/errors_pb";
import { chunkBytes, parseUploadResponse, uploadBody } from "./upload";

function envelopes(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const out = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let off = 0; off < body.length; ) {
    const len = view.getUint32(off + 1);
    out.push({ flags: body[off], data: body.subarray(off + 5, off + 5 + len) });
    off += 5 + len;
  }
  return out;
}

function envelope(flags: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(5 + data.length);
  b[0] = flags;
  new DataView(b.buffer).setUint32(1, data.length);
  b.set(data, 5);
  return b;
}

describe("uploadBody", () => {
  it("sends the metadata, then the bytes in chunks", () => {
    const data = new Uint8Array(chunkBytes * 2 + 10).map((_, i) => i % 251);
    const env = envelopes(uploadBody({ title: "GAP", filename: "gap.md", contentType: "text/markdown", tags: ["demo"] }, data));
    expect(env).toHaveLength(4);
    const first = fromBinary(UploadDocumentRequestSchema, env[0].data);
    expect(first.payload.case).toBe("metadata");
    if (first.payload.case === "metadata") {
      expect(first.payload.value.title).toBe("GAP");
      expect(first.payload.value.tags).toEqual(["demo"]);
    }
    const joined = env.slice(1).flatMap((e) => {
      const m = fromBinary(UploadDocumentRequestSchema, e.data);
      return m.payload.case === "chunk" ? [...m.payload.value] : [];
    });
    expect(joined).toEqual([...data]);
    expect(env.every((e) => e.flags === 0)).toBe(true);
  });
  it("sends only the metadata for an empty file", () => {
    expect(envelopes(uploadBody({ title: "t", filename: "f", contentType: "" }, new Uint8Array()))).toHaveLength(1);
  });
});

describe("parseUploadResponse", () => {
  it("returns the document", () => {
    const msg = toBinary(UploadDocumentResponseSchema, create(UploadDocumentResponseSchema, { document: { id: "d1", status: DocumentStatus.PENDING } }));
    const body = new Uint8Array([...envelope(0, msg), ...envelope(2, new TextEncoder().encode("{}"))]);
    expect(parseUploadResponse(body).document?.id).toBe("d1");
  });
  it("throws the error of the end of stream, details included", () => {
    const detail = toBinary(ErrorDetailSchema, create(ErrorDetailSchema, { reason: "PAYLOAD_TOO_LARGE" }));
    const value = btoa(String.fromCharCode(...detail)).replace(/=+$/, "");
    const end = JSON.stringify({
      error: { code: "resource_exhausted", message: "document too large", details: [{ type: "avatar.errors.v1.ErrorDetail", value }] },
    });
    const body = envelope(2, new TextEncoder().encode(end));
    try {
      parseUploadResponse(body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConnectError);
      const ce = err as ConnectError;
      expect(ce.code).toBe(Code.ResourceExhausted);
      expect(ce.rawMessage).toBe("document too large");
      expect(ce.findDetails(ErrorDetailSchema)[0]?.reason).toBe("PAYLOAD_TOO_LARGE");
    }
  });
  it("fails on a stream without a message", () => {
    expect(() => parseUploadResponse(envelope(2, new TextEncoder().encode("{}")))).toThrow(/without a response/);
  });
});
