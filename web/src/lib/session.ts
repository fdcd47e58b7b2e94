// The signed-in session: tokens kept in localStorage (so every tab shares them), an
// access token refreshed in the background before it expires, and sign-out.
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  LoginRequestSchema,
  LoginResponse,
  LogoutRequestSchema,
  RefreshRequestSchema,
  RefreshResponse,
} from "@gen/avatar/auth/v1/auth_pb";

/** AuthApi is the part of AuthService the session uses (a Connect client fits). */
export interface AuthApi {
  login(req: MessageInitShape<typeof LoginRequestSchema>): Promise<LoginResponse>;
  refresh(req: MessageInitShape<typeof RefreshRequestSchema>): Promise<RefreshResponse>;
  logout(req: MessageInitShape<typeof LogoutRequestSchema>): Promise<unknown>;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** expiresAt is when the access token expires, in ms since the epoch. */
  expiresAt: number;
}

/** Second factor for a login: a TOTP code, or a recovery code. */
export interface SecondFactor {
  totpCode?: string;
  recoveryCode?: string;
}

export const storageKey = "avatar.session.v1";

/** refreshDelay is how long to wait before refreshing a token that expires in `left` ms of a `lifetime` ms life. */
export function refreshDelay(left: number, lifetime: number): number {
  const margin = Math.min(60_000, Math.max(5_000, lifetime * 0.2));
  return Math.max(1_000, left - margin);
}

interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};

type LockManager = { request<T>(name: string, cb: () => Promise<T>): Promise<T> };

export class Session {
  private current: Tokens | undefined;
  private listeners = new Set<() => void>();
  private timer: unknown;
  private inflight: Promise<boolean> | undefined;
  private readonly onStorage = (e: StorageEvent) => {
    if (e.key === storageKey) this.adopt(this.read());
  };

  constructor(
    private readonly api: AuthApi,
    private readonly storage: Storage | undefined = globalThis.localStorage,
    private readonly clock: Clock = realClock,
    private readonly locks: LockManager | undefined = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks,
  ) {
    this.current = this.read();
    globalThis.addEventListener?.("storage", this.onStorage);
    this.schedule();
  }

  /** tokens returns the current tokens, or undefined when signed out. */
  get tokens(): Tokens | undefined {
    return this.current;
  }

  get signedIn(): boolean {
    return this.current !== undefined;
  }

  /** subscribe calls fn whenever the session signs in, refreshes or signs out. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * signIn exchanges credentials for tokens. It throws the server's error: a ConnectError
   * with reason TOTP_REQUIRED asks for the second factor.
   */
  async signIn(email: string, password: string, second: SecondFactor = {}): Promise<void> {
    const res = await this.api.login({
      email,
      password,
      totpCode: second.totpCode ?? "",
      recoveryCode: second.recoveryCode ?? "",
    });
    this.set(this.tokensOf(res));
  }

  /** signOut revokes the refresh token (best effort) and forgets the tokens. */
  async signOut(): Promise<void> {
    const t = this.current;
    this.set(undefined);
    if (t) {
      try {
        await this.api.logout({ refreshToken: t.refreshToken });
      } catch {
        // Signed out locally either way; the token family expires on its own.
      }
    }
  }

  /** accessToken returns a token valid for at least 30 s more, refreshing first if needed. */
  async accessToken(): Promise<string | undefined> {
    const t = this.current;
    if (!t) return undefined;
    if (t.expiresAt - this.clock.now() > 30_000) return t.accessToken;
    await this.refresh();
    return this.current?.accessToken;
  }

  /**
   * refresh rotates the refresh token. Concurrent calls (and other tabs, through the Web
   * Locks API) share one rotation: presenting a used refresh token revokes its family.
   * It resolves false when signed out: the server refused the token.
   */
  refresh(): Promise<boolean> {
    if (!this.inflight) {
      this.inflight = this.locked(() => this.rotate()).finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** close stops the background refresh (tests, hot reload). */
  close(): void {
    this.clock.clearTimeout(this.timer);
    globalThis.removeEventListener?.("storage", this.onStorage);
  }

  private async rotate(): Promise<boolean> {
    const mine = this.current;
    const stored = this.read();
    if (!stored) {
      this.adopt(undefined);
      return false;
    }
    if (mine && stored.refreshToken !== mine.refreshToken && stored.expiresAt - this.clock.now() > 30_000) {
      this.adopt(stored); // another tab rotated first
      return true;
    }
    try {
      const res = await this.api.refresh({ refreshToken: stored.refreshToken });
      this.set(this.tokensOf(res));
      return true;
    } catch (err) {
      if (err instanceof ConnectError && (err.code === Code.Unauthenticated || err.code === Code.PermissionDenied)) {
        this.set(undefined);
        return false;
      }
      // The core is unreachable: keep the tokens and try again soon.
      this.timer = this.clock.setTimeout(() => void this.refresh(), 10_000);
      throw err;
    }
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.locks ? this.locks.request("avatar.session.refresh", fn) : fn();
  }

  private tokensOf(res: { accessToken: string; refreshToken: string; expiresIn: bigint }): Tokens {
    return {
      accessToken: res.accessToken,
      refreshToken: res.refreshToken,
      expiresAt: this.clock.now() + Number(res.expiresIn) * 1000,
    };
  }

  private set(t: Tokens | undefined): void {
    try {
      if (t) this.storage?.setItem(storageKey, JSON.stringify({ ...t, lifetime: t.expiresAt - this.clock.now() }));
      else this.storage?.removeItem(storageKey);
    } catch {
      // Private mode without storage: the session lives in this tab only.
    }
    this.adopt(t);
  }

  private adopt(t: Tokens | undefined): void {
    const changed = t?.accessToken !== this.current?.accessToken;
    this.current = t;
    this.schedule();
    if (changed) this.listeners.forEach((fn) => fn());
  }

  private read(): Tokens | undefined {
    try {
      const raw = this.storage?.getItem(storageKey);
      if (!raw) return undefined;
      const v = JSON.parse(raw) as Partial<Tokens>;
      if (typeof v.accessToken === "string" && typeof v.refreshToken === "string" && typeof v.expiresAt === "number") {
        return { accessToken: v.accessToken, refreshToken: v.refreshToken, expiresAt: v.expiresAt };
      }
    } catch {
      // Unreadable: treat as signed out.
    }
    return undefined;
  }

  private lifetime(): number {
    try {
      const raw = this.storage?.getItem(storageKey);
      const v = raw ? (JSON.parse(raw) as { lifetime?: number }) : {};
      return typeof v.lifetime === "number" ? v.lifetime : 15 * 60_000;
    } catch {
      return 15 * 60_000;
    }
  }

  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.current;
    if (!t) return;
    const delay = refreshDelay(t.expiresAt - this.clock.now(), this.lifetime());
    this.timer = this.clock.setTimeout(() => {
      this.refresh().catch(() => {
        // rotate() already scheduled the retry.
      });
    }, delay);
  }
}
