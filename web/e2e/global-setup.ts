// Starts a real core and edge for the browser tests, the way edge/internal/coretest
// does for Go tests: the binaries `make build` wrote (the core embeds the web app), a
// database of their own (created here, dropped after), the core's embedded NATS on a free
// port, the shared Redis; then seeds a dealership with an admin and trainees through the
// core's own API. A missing binary or service fails with one message.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { E2EEnv } from "./env";
import { padWav } from "./wav";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const password = "web-e2e-password-1";

function freeTcpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createSocket("udp4");
    s.on("error", fail);
    s.bind(0, "0.0.0.0", () => {
      const port = s.address().port;
      s.close(() => ok(port));
    });
  });
}

async function waitReady(name: string, url: string, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}) before it was ready; log: ${log}\n${tail(log)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not ready after 2 minutes; log: ${log}\n${tail(log)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-25).join("\n");
  } catch {
    return "";
  }
}

/** rpc calls a Connect unary procedure with JSON. */
async function rpc<T>(base: string, procedure: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}/${procedure}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${procedure}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function psql(url: URL, db: string, sql: string): void {
  const u = new URL(url.toString());
  u.pathname = `/${db}`;
  try {
    execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", u.toString(), "-c", sql], { stdio: "pipe" });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`psql ${JSON.stringify(sql)}: ${e.stderr?.toString() || e.message} (is PostgreSQL running? make test-web starts it)`);
  }
}

function start(bin: string, env: Record<string, string>, log: string): ChildProcess {
  const out = createWriteStream(log);
  const p = spawn(bin, [], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  p.stdout?.pipe(out);
  p.stderr?.pipe(out);
  return p;
}

function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.once("exit", () => {
      clearTimeout(kill);
      ok();
    });
    p.kill("SIGINT");
  });
}

export default async function setup(project: TestProject) {
  const bin = process.env.AVATAR_BIN || join(root, "bin");
  for (const b of ["avatar-core", "avatar-edge"]) {
    if (!existsSync(join(bin, b))) throw new Error(`${join(bin, b)} is missing: run make build (make test-web does)`);
  }
  if (!existsSync("/usr/bin/chromium")) throw new Error("/usr/bin/chromium is missing: run make services (it installs Debian's chromium)");
  const artifacts = join(root, ".data", "web-artifacts");
  mkdirSync(artifacts, { recursive: true });

  const admin = new URL(process.env.AVATAR_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/avatar_test?sslmode=disable");
  const dbName = `webtest_${randomBytes(5).toString("hex")}`;
  psql(admin, "postgres", `CREATE DATABASE ${dbName}`);
  let core: ChildProcess | undefined;
  let edge: ChildProcess | undefined;
  const teardown = async () => {
    await stop(edge);
    await stop(core);
    try {
      psql(admin, "postgres", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    } catch {
      // best effort
    }
  };
  try {
    psql(admin, dbName, "CREATE EXTENSION IF NOT EXISTS vector");
    const dbUrl = new URL(admin.toString());
    dbUrl.pathname = `/${dbName}`;

    const [corePort, natsPort, edgePort, udpPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeUdpPort()];
    const coreUrl = `http://127.0.0.1:${corePort}`;
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const redisUrl = process.env.AVATAR_TEST_REDIS_URL || "redis://127.0.0.1:6379/0";
    const run = join(tmpdir(), `avatar-web-e2e-${randomBytes(4).toString("hex")}`);
    mkdirSync(run, { recursive: true });

    const coreLog = join(artifacts, "core.log");
    core = start(
      join(bin, "avatar-core"),
      {
        AVATAR_CORE_ADDR: `127.0.0.1:${corePort}`,
        AVATAR_PUBLIC_URL: coreUrl,
        AVATAR_DATABASE_URL: dbUrl.toString(),
        AVATAR_REDIS_URL: redisUrl,
        AVATAR_NATS_URL: "",
        AVATAR_NATS_EMBEDDED_ADDR: `127.0.0.1:${natsPort}`,
        AVATAR_NATS_STORE_DIR: join(run, "nats"),
        AVATAR_BOOTSTRAP_EMAIL: "root@web-e2e.test",
        AVATAR_BOOTSTRAP_PASSWORD: password,
        AVATAR_WEB_EDGE_URL: edgeUrl,
        AVATAR_LOG_LEVEL: "info",
      },
      coreLog,
    );
    await waitReady("avatar-core", coreUrl, core, coreLog);

    // Seed: a dealership, its admin, two trainees, and the edge's service key.
    type Tokens = { accessToken: string };
    const login = async (email: string) => (await rpc<Tokens>(coreUrl, "avatar.auth.v1.AuthService/Login", { email, password })).accessToken;
    const rootToken = await login("root@web-e2e.test");
    const suffix = randomBytes(3).toString("hex");
    const d = await rpc<{ dealership: { id: string } }>(coreUrl, "avatar.org.v1.OrgService/CreateDealership", { name: `E2E Motors ${suffix}` }, rootToken);
    const users = {
      admin: `manager-${suffix}@web-e2e.test`,
      trainee: `trainee-${suffix}@web-e2e.test`,
      totpUser: `totp-${suffix}@web-e2e.test`,
    };
    const mk = (email: string, role: string, displayName: string) =>
      rpc(coreUrl, "avatar.org.v1.OrgService/CreateUser", { dealershipId: d.dealership.id, email, password, role, displayName }, rootToken);
    await mk(users.admin, "ROLE_DEALERSHIP_ADMIN", "Dana Manager");
    await mk(users.trainee, "ROLE_TRAINEE", "Terry Trainee");
    await mk(users.totpUser, "ROLE_TRAINEE", "Toni Twofactor");
    const key = await rpc<{ secret: string }>(coreUrl, "avatar.auth.v1.AuthService/CreateApiKey", { name: "e2e edge", role: "ROLE_EDGE_SERVICE" }, rootToken);

    const edgeLog = join(artifacts, "edge.log");
    edge = start(
      join(bin, "avatar-edge"),
      {
        AVATAR_EDGE_ADDR: `127.0.0.1:${edgePort}`,
        AVATAR_EDGE_UDP_PORT: String(udpPort),
        AVATAR_EDGE_URL: edgeUrl,
        AVATAR_EDGE_ID: `edge-e2e-${suffix}`,
        AVATAR_REGION: "local",
        AVATAR_CORE_URL: coreUrl,
        AVATAR_TOKEN_ISSUER: coreUrl,
        AVATAR_NATS_URL: natsUrl,
        AVATAR_REDIS_URL: redisUrl,
        AVATAR_EDGE_API_KEY: key.secret,
        AVATAR_CORS_ORIGINS: coreUrl,
        AVATAR_LOG_LEVEL: "info",
      },
      edgeLog,
    );
    await waitReady("avatar-edge", edgeUrl, edge, edgeLog);

    // The fake microphone loops this file: one clip, then silence long enough to end the turn.
    const wav = join(run, "trainee.wav");
    writeFileSync(wav, padWav(readFileSync(join(root, "..", "shared", "data", "speech", "goforward.wav")), 1.0, 5.0));

    const env: E2EEnv = { coreUrl, edgeUrl, password, ...users, wav, artifacts };
    project.provide("e2e", env);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
