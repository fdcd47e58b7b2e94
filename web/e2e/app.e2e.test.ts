// The web app in Debian's Chromium, driven by playwright-core, against the real core and
// edge the global setup started. Each test saves a screenshot of the page it ends on in
// .data/web-artifacts/.
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { totp } from "./totp";

const env = inject("e2e");
const demo = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../deploy/dev/demo");

// Flags as the machine's notes give them: headless, no sandbox as root, no background
// networking (the closed network refuses it); a fake microphone that plays the WAV.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  `--use-file-for-fake-audio-capture=${env.wav}`,
  "--autoplay-policy=no-user-gesture-required",
];

let browser: Browser;

/** visible waits for the (single) element to show. */
function visible(l: Locator, timeout = 15_000): Promise<void> {
  return l.waitFor({ state: "visible", timeout });
}

/** textOf polls the first element's text until it equals want (a string) or matches it. */
async function textOf(l: Locator, want: RegExp | string, timeout = 15_000): Promise<void> {
  const read = async () => ((await l.count()) > 0 ? (await l.first().innerText()).trim() : "");
  if (typeof want === "string") await expect.poll(read, { timeout, interval: 200 }).toBe(want);
  else await expect.poll(read, { timeout, interval: 200 }).toMatch(want);
}

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
});

afterAll(async () => {
  await browser?.close();
});

async function newPage(opts: { phone?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    baseURL: env.coreUrl,
    permissions: ["microphone"],
    viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  const page = await ctx.newPage();
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  return { ctx, page };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(env.artifacts, `${name}.png`), fullPage: true });
}

/** signIn fills the labelled fields and submits with the keyboard. */
async function signIn(page: Page, email: string): Promise<void> {
  await page.goto("/");
  await page.waitForURL(/\/signin/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(env.password);
  await page.getByLabel("Password").press("Enter");
  await visible(page.getByRole("button", { name: "Sign out" }));
}

describe("the core serves the app", () => {
  it("with caching headers, the SPA fallback and /config.json", async () => {
    const index = await fetch(`${env.coreUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(`${env.coreUrl}${asset}`, { headers: { "Accept-Encoding": "gzip" } });
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const deep = await fetch(`${env.coreUrl}/admin/documents`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${env.coreUrl}/assets/missing-123.js`)).status).toBe(404);
    expect(await (await fetch(`${env.coreUrl}/config.json`)).json()).toEqual({ edgeUrl: env.edgeUrl });
  });

  it("and the edge answers CORS for it, and for no one else", async () => {
    const pre = (origin: string, method: string, headers: string) =>
      fetch(`${env.edgeUrl}/v1/calls?sessionId=x`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers },
      });
    const ok = await pre(env.coreUrl, "POST", "authorization,content-type");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(env.coreUrl);
    expect((await pre("https://evil.example", "POST", "authorization")).status).toBe(403);
    expect((await pre(env.coreUrl, "PUT", "authorization")).status).toBe(403);
  });
});

describe("trainee", () => {
  it("signs in, sees the scenarios and signs out", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.trainee);
    await visible(page.getByRole("heading", { name: "Welcome, Terry" }));
    await visible(page.getByRole("link", { name: /^Practise by text:/ }).first());
    expect(await page.getByRole("link", { name: /^Practise by text:/ }).count()).toBeGreaterThanOrEqual(6);
    await shot(page, "home");
    await page.getByRole("button", { name: "Sign out" }).click();
    await visible(page.getByRole("button", { name: "Sign in" }));
    await page.goto("/coach");
    await page.waitForURL(/\/signin\?next=%2Fcoach/);
    await shot(page, "signin");
    await ctx.close();
  });

  it("reads the home page on a phone", async () => {
    const { ctx, page } = await newPage({ phone: true });
    await signIn(page, env.trainee);
    await visible(page.getByRole("heading", { name: "Role-play scenarios" }));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "home-phone");
    await ctx.close();
  });
});

describe("admin and coach", () => {
  it("an admin uploads a document and watches it become READY", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.admin);
    await page.getByRole("link", { name: "Documents" }).click();
    await visible(page.getByRole("heading", { name: "Documents", level: 1 }));
    await page.getByLabel("File").setInputFiles(join(demo, "gap-insurance.md"));
    await page.getByLabel("Title").fill("GAP insurance guide");
    await page.getByRole("button", { name: "Upload" }).click();
    await visible(page.getByText(/Uploaded “GAP insurance guide”/));
    const row = page.getByTestId("document-row").filter({ hasText: "GAP insurance guide" });
    await visible(row);
    // No reload: WatchDocument streams the ingest until the row turns Ready.
    await textOf(row.getByTestId("document-status"), "Ready", 90_000);
    await shot(page, "documents");
    await ctx.close();
  });

  it("the trainee asks the coach and opens the cited passage", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.trainee);
    await page.getByRole("link", { name: "Coach", exact: true }).click();
    const box = page.getByLabel("Message");
    await expect.poll(() => box.isEnabled(), { timeout: 30_000 }).toBe(true);
    await box.fill("What does GAP insurance not cover?");
    await box.press("Enter");
    const answer = page.getByTestId("msg-partner").last();
    const citation = answer.getByRole("button", { name: /GAP insurance guide/ }).first();
    await visible(citation, 60_000);
    expect((await answer.locator(".msg-text").innerText()).length).toBeGreaterThan(20);
    await citation.click();
    const dialog = page.getByRole("dialog");
    await visible(dialog.getByTestId("passage"), 30_000);
    await textOf(dialog.getByTestId("passage"), /GAP|insur|cover/i);
    await shot(page, "coach");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await ctx.close();
  });

  it("the admin pages work: users, scenarios, API keys, webhooks, audit log", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.admin);

    await page.getByRole("link", { name: "Users" }).click();
    await page.getByLabel("Email").fill("new-hire@web-e2e.test");
    await page.getByLabel("Display name").fill("Nia New");
    await page.getByLabel("Temporary password").fill("a-long-temporary-pw");
    await page.getByRole("button", { name: "Add user" }).click();
    await visible(page.getByRole("rowheader", { name: /Nia New/ }));
    await shot(page, "admin-users");

    await page.getByRole("link", { name: "Scenarios" }).click();
    await page.getByRole("button", { name: /^Copy / }).first().click();
    await visible(page.getByRole("heading", { name: /^Edit: .*\(copy\)$/ }));
    await page.getByLabel("Title").fill("E2E Motors: edited copy");
    await page.getByRole("button", { name: "Save scenario" }).click();
    await visible(page.getByText(/Saved as version 2/));
    await shot(page, "admin-scenario-edit");
    await page.getByRole("link", { name: "Back to scenarios" }).click();
    await visible(page.getByRole("link", { name: "E2E Motors: edited copy", exact: true }));
    await shot(page, "admin-scenarios");

    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Name").fill("LMS sync");
    await page.getByRole("button", { name: "Create key" }).click();
    await textOf(page.getByTestId("api-key-secret"), /^ak_/);
    await visible(page.getByRole("rowheader", { name: /LMS sync/ }));
    await shot(page, "admin-api-keys");

    await page.getByRole("link", { name: "Webhooks" }).click();
    await visible(page.getByLabel("URL"));
    await shot(page, "admin-webhooks");

    await page.getByRole("link", { name: "Audit log" }).click();
    await visible(page.getByRole("cell", { name: /CreateApiKey/ }).first());
    await shot(page, "admin-audit");
    await ctx.close();
  });
});

describe("two-factor", () => {
  it("enrols with the QR code, then sign-in asks for the code", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.totpUser);
    await page.getByRole("link", { name: "Security" }).click();
    await page.getByRole("button", { name: "Set up two-factor" }).click();
    await visible(page.getByRole("img", { name: "QR code for your authenticator app" }));
    const natural = await page.getByTestId("totp-qr").evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(natural).toBeGreaterThan(20);
    await shot(page, "security-qr");
    await page.getByText("Can't scan? Enter the key by hand").click();
    const secret = (await page.locator(".totp-setup code.secret").innerText()).trim();
    await page.getByLabel("Authentication code").fill(totp(secret));
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    await visible(page.getByTestId("recovery-codes"));
    await shot(page, "security-totp");
    await page.getByRole("button", { name: "Sign out" }).click();

    await page.getByLabel("Email").fill(env.totpUser);
    await page.getByLabel("Password").fill(env.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    const code = page.getByLabel("Authentication code");
    await expect.poll(() => code.evaluate((el) => el === document.activeElement)).toBe(true);
    // A code is single-use: wait for the next 30 s window so it differs from enrolment's.
    const wait = 30_000 - (Date.now() % 30_000) + 500;
    await page.waitForTimeout(wait);
    await code.fill(totp(secret));
    await code.press("Enter");
    await visible(page.getByRole("button", { name: "Sign out" }));
    await ctx.close();
  });
});

describe("role-play", () => {
  it("a text turn with the customer, then the scorecard", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.trainee);
    await page.getByRole("link", { name: /^Practise by text:/ }).first().click();
    await textOf(page.getByTestId("msg-partner").first(), /\S/, 30_000);
    const box = page.getByLabel("Message");
    await box.fill("Congratulations on the new car! Before we sign, what matters most to you about protecting it?");
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => page.getByTestId("msg-partner").count(), { timeout: 30_000 }).toBe(2);
    await textOf(page.getByTestId("msg-partner").nth(1).locator(".msg-text"), /\S/);
    await visible(page.getByTestId("msg-trainee").first().getByLabel("Techniques heard"), 30_000);
    await shot(page, "roleplay");
    await page.getByRole("button", { name: "End session" }).click();
    await visible(page.getByRole("heading", { name: "Scorecard" }), 30_000);
    await visible(page.getByRole("img", { name: /Overall score \d+ out of 100/ }));
    await shot(page, "scorecard");
    await ctx.close();
  });

  it("a voice call: the page shows the transcript and plays the reply audio", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.trainee);
    await page.getByRole("link", { name: /^Practise by voice:/ }).first().click();
    await page.getByRole("button", { name: "Start call" }).click();
    await visible(page.getByText("Connected", { exact: true }), 30_000);
    // The customer's opening is spoken first; then the fake microphone's clip is heard.
    await textOf(page.getByTestId("line-partner").first(), /\S/, 30_000);
    await visible(page.getByTestId("line-trainee").first(), 60_000);
    const heard = await page.getByTestId("line-trainee").first().innerText();
    expect(heard.replace(/^You:\s*/, "").trim().length).toBeGreaterThan(0);
    const meter = page.getByTestId("reply-level");
    await expect.poll(async () => Number(await meter.getAttribute("data-energy")), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(Number(await meter.getAttribute("data-bytes"))).toBeGreaterThan(1000);
    await visible(page.getByTestId("turn-gap").first(), 60_000);
    const playing = await page.locator("audio").evaluate((a: HTMLAudioElement) => a.srcObject !== null && !a.paused);
    expect(playing).toBe(true);
    await shot(page, "call");
    await page.getByRole("button", { name: "Mute" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("button", { name: "End call" }).click();
    await visible(page.getByRole("heading", { name: "Scorecard" }), 30_000);
    await shot(page, "call-scorecard");
    await ctx.close();
  });
});

describe("analytics", () => {
  it("the trainee's progress lists the graded sessions, and one opens with its transcript", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.trainee);
    await page.getByRole("link", { name: "Progress", exact: true }).click();
    await visible(page.getByRole("heading", { name: "Your progress" }));
    // The edge reports sessions over NATS; the core records them moments later.
    const sessions = page.locator(".session-list li");
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole("heading", { name: "Scores over time" }).waitFor({ timeout: 10_000 }).catch(() => undefined);
          return sessions.count();
        },
        { timeout: 60_000, interval: 2000 },
      )
      .toBeGreaterThanOrEqual(2);
    await shot(page, "progress");
    await sessions.getByRole("link", { name: /^Role-play/ }).first().click();
    await visible(page.getByRole("heading", { name: "Transcript" }));
    await visible(page.getByRole("heading", { name: "Scorecard" }), 30_000);
    await shot(page, "session");
    await ctx.close();
  });

  it("the admin dashboard shows the dealership's activity", async () => {
    const { ctx, page } = await newPage();
    await signIn(page, env.admin);
    await page.getByRole("link", { name: "Dashboard" }).click();
    await visible(page.getByRole("heading", { name: "Dealership dashboard" }));
    await visible(page.getByRole("heading", { name: "Sessions per day" }), 30_000);
    await textOf(page.locator(".stat").filter({ hasText: "Sessions" }).locator(".stat-value"), /^[1-9]\d*$/);
    await shot(page, "dashboard");
    await ctx.close();
  });
});
