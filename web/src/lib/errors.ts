import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, type ErrorDetail } from "@gen/avatar/errors/v1/errors_pb";

/** detailOf returns the avatar.errors.v1.ErrorDetail a core or edge error carries, if any. */
export function detailOf(err: unknown): ErrorDetail | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  try {
    return err.findDetails(ErrorDetailSchema)[0];
  } catch {
    return undefined;
  }
}

/** reasonOf returns the error's reason ("TOTP_REQUIRED", "NOT_FOUND", ...), or "". */
export function reasonOf(err: unknown): string {
  return detailOf(err)?.reason ?? "";
}

/** codeOf returns the Connect code of an error, Unknown for anything else. */
export function codeOf(err: unknown): Code {
  return err instanceof ConnectError ? err.code : Code.Unknown;
}

/** isUnimplemented reports an RPC the server does not have (yet). */
export function isUnimplemented(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unimplemented;
}

/**
 * describeError turns any error into one sentence for a person: the server's message and
 * the fields it names, or a plain word about the network.
 */
export function describeError(err: unknown): string {
  if (err instanceof ConnectError) {
    const detail = detailOf(err);
    const fields = detail?.fieldViolations.map((v) => `${v.field}: ${v.description}`) ?? [];
    let msg = err.rawMessage || Code[err.code];
    if (err.code === Code.Unavailable && /fetch|network|Failed/i.test(msg)) {
      msg = "the server cannot be reached; check your connection";
    }
    if (detail?.reason === "RATE_LIMITED" && detail.retryAfterSeconds > 0n) {
      msg += ` (try again in ${detail.retryAfterSeconds} s)`;
    }
    return fields.length > 0 ? `${msg} (${fields.join("; ")})` : msg;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
