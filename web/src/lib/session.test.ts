import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { LoginResponseSchema, RefreshResponseSchema } from "@gen/avatar/auth/v1/auth_pb";
import { refreshDelay, Session, storageKey, type AuthApi } from "./session";

class FakeClock {
  t = 1_000_000;
  timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  /** advance runs the timers due within ms. */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await new Promise((r) => setTimeout(r, 0));
    }
    this.t = end;
  }
}

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

function api(overrides: Partial<AuthApi> = {}) {
  const calls = { login: 0, refresh: [] as string[], logout: [] as string[] };
  let n = 0;
  const a: AuthApi = {
    login: async (req) => {
      calls.login++;
      if (req.password !== "right") throw new ConnectError("invalid email or password", Code.Unauthenticated);
      return create(LoginResponseSchema, { accessToken: "a0", refreshToken: "r0", expiresIn: 900n });
    },
    refresh: async (req) => {
      calls.refresh.push(req.refreshToken ?? "");
      n++;
      return create(RefreshResponseSchema, { accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900n });
    },
    logout: async (req) => {
      calls.logout.push(req.refreshToken ?? "");
      return {};
    },
    ...overrides,
  };
  return { a, calls };
}

describe("refreshDelay", () => {
  it("refreshes a minute early for a 15-minute token, never sooner than a second", () => {
    expect(refreshDelay(900_000, 900_000)).toBe(840_000);
    expect(refreshDelay(60_000, 60_000)).toBe(48_000);
    expect(refreshDelay(2_000, 900_000)).toBe(1_000);
  });
});

describe("Session", () => {
  it("signs in, refreshes in the background and signs out", async () => {
    const clock = new FakeClock();
    const storage = memoryStorage();
    const { a, calls } = api();
    const s = new Session(a, storage, clock, undefined);
    let changes = 0;
    s.subscribe(() => changes++);
    await s.signIn("t@x.test", "right");
    expect(s.signedIn).toBe(true);
    expect(await s.accessToken()).toBe("a0");
    expect(JSON.parse(storage.getItem(storageKey)!).refreshToken).toBe("r0");

    await clock.advance(839_000);
    expect(calls.refresh).toEqual([]);
    await clock.advance(2_000);
    expect(calls.refresh).toEqual(["r0"]);
    expect(await s.accessToken()).toBe("a1");
    await clock.advance(840_000);
    expect(calls.refresh).toEqual(["r0", "r1"]);

    await s.signOut();
    expect(s.signedIn).toBe(false);
    expect(storage.getItem(storageKey)).toBeNull();
    expect(calls.logout).toEqual(["r2"]);
    expect(changes).toBe(4);
    s.close();
  });

  it("refreshes a token about to expire before handing it out, once for concurrent callers", async () => {
    const clock = new FakeClock();
    const { a, calls } = api();
    const s = new Session(a, memoryStorage(), clock, undefined);
    await s.signIn("t@x.test", "right");
    clock.t += 880_000; // 20 s left: the timer did not run (the tab slept)
    const [x, y] = await Promise.all([s.accessToken(), s.accessToken()]);
    expect(x).toBe("a1");
    expect(y).toBe("a1");
    expect(calls.refresh).toEqual(["r0"]);
    s.close();
  });

  it("signs out when the refresh token is refused", async () => {
    const clock = new FakeClock();
    const { a } = api({
      refresh: async () => {
        throw new ConnectError("refresh token already used", Code.Unauthenticated);
      },
    });
    const s = new Session(a, memoryStorage(), clock, undefined);
    await s.signIn("t@x.test", "right");
    expect(await s.refresh()).toBe(false);
    expect(s.signedIn).toBe(false);
    s.close();
  });

  it("keeps the tokens while the core is unreachable and retries", async () => {
    const clock = new FakeClock();
    let fail = true;
    const base = api();
    const { a } = api({
      refresh: async (req) => {
        if (fail) throw new ConnectError("fetch failed", Code.Unavailable);
        return base.a.refresh(req);
      },
    });
    const s = new Session(a, memoryStorage(), clock, undefined);
    await s.signIn("t@x.test", "right");
    await expect(s.refresh()).rejects.toThrow(/fetch failed/);
    expect(s.signedIn).toBe(true);
    fail = false;
    await clock.advance(10_000);
    expect(s.tokens?.accessToken).toBe("a1");
    s.close();
  });

  it("adopts tokens another tab already rotated", async () => {
    const clock = new FakeClock();
    const storage = memoryStorage();
    const { a, calls } = api();
    const s = new Session(a, storage, clock, undefined);
    await s.signIn("t@x.test", "right");
    storage.setItem(storageKey, JSON.stringify({ accessToken: "other", refreshToken: "r-other", expiresAt: clock.t + 900_000 }));
    expect(await s.refresh()).toBe(true);
    expect(s.tokens?.accessToken).toBe("other");
    expect(calls.refresh).toEqual([]);
    s.close();
  });

  it("passes the second factor and reports wrong passwords", async () => {
    const seen: unknown[] = [];
    const { a } = api();
    const s = new Session({ ...a, login: async (req) => (seen.push(req), a.login(req)) }, memoryStorage(), new FakeClock(), undefined);
    await expect(s.signIn("t@x.test", "wrong")).rejects.toThrow(/invalid email or password/);
    await s.signIn("t@x.test", "right", { totpCode: "123456" });
    expect(seen[1]).toMatchObject({ email: "t@x.test", totpCode: "123456", recoveryCode: "" });
    s.close();
  });
});
