// The real thing for end-to-end tests: `torro serve --demo` on a random loopback port
// with its own catalog, and Debian's Chromium driven by playwright-core. The demo's
// `admin` gets ADMIN_PASSWORD (TORRO_ADMIN_PASSWORD); tests sign in through the real API.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = resolve(here, "../e2e-screenshots");

export const ADMIN = "admin";
export const ADMIN_PASSWORD = "e2e-admin-password-42";

export interface Server {
  base: string;
  demoDir: string;
  stop: () => Promise<void>;
}

/** Starts `torro serve --demo` (TORRO_BIN, default target/debug/torro) and waits for its address. */
export async function startServer(): Promise<Server> {
  const bin = process.env.TORRO_BIN ?? resolve(here, "../../target/debug/torro");
  const dir = mkdtempSync(join(tmpdir(), "torro-e2e-"));
  const demoDir = join(dir, "demo-lake");
  const child: ChildProcess = spawn(
    bin,
    // Every test signs in afresh; the sign-in rate limit (10 a minute per address) is tested
    // in Rust (tests/api/auth.rs), so here it is raised out of the way.
    [
      "serve", "--demo", "--bind", "127.0.0.1:0", "--database-url", `sqlite:${join(dir, "torro.db")}`,
      "--demo-dir", demoDir, "--login-rate-per-minute", "10000",
    ],
    {
      cwd: dir,
      env: { ...process.env, TORRO_SECRET_KEY: "e2e-test-passphrase", TORRO_LOG: "warn", TORRO_ADMIN_PASSWORD: ADMIN_PASSWORD },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  const base = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`torro serve did not start in 60 s:\n${log}`)), 60_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        ok(match[1]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("error", (e) => {
      clearTimeout(timer);
      fail(new Error(`cannot start ${bin}: ${e.message} (build it with cargo build -p torro, or set TORRO_BIN)`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`torro serve exited with ${code}:\n${log}`));
    });
  });
  return {
    base,
    demoDir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once("exit", ok));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A page that records every console error and uncaught exception. */
export async function openPage(browser: Browser, options: { viewport?: { width: number; height: number }; dark?: boolean } = {}) {
  const context: BrowserContext = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.dark ? "dark" : "light",
  });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return { context, page, errors };
}

/** Saves `e2e-screenshots/{name}.png` (full page). */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let animations (dialogs, snackbars, ripples) settle.
  await page.waitForTimeout(350);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export function cleanScreenshots() {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}

/** Signs a browser context in through `POST /api/auth/login`: its pages share the session cookie. */
export async function signIn(context: BrowserContext, base: string, username = ADMIN, password = ADMIN_PASSWORD) {
  const response = await context.request.post(`${base}/api/auth/login`, { data: { username, password } });
  if (!response.ok()) throw new Error(`sign-in of ${username} failed: ${response.status()} ${await response.text()}`);
}

/** A Node-side API client with its own session (cookie and CSRF token), as a browser would have. */
export interface ApiClient {
  call<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  /** The raw response, for status codes and CSV. */
  raw(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
}

export async function apiClient(base: string, username = ADMIN, password = ADMIN_PASSWORD): Promise<ApiClient> {
  const login = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`sign-in of ${username} failed: ${login.status} ${await login.text()}`);
  const { csrf_token } = (await login.json()) as { csrf_token: string };
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const raw = (path: string, init: { method?: string; body?: unknown } = {}) => {
    const method = init.method ?? "GET";
    const headers: Record<string, string> = { cookie, accept: "application/json" };
    if (method !== "GET") headers["x-csrf-token"] = csrf_token;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    return fetch(`${base}${path}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  };
  return {
    raw,
    async call<T>(path: string, init?: { method?: string; body?: unknown }) {
      const response = await raw(path, init);
      const text = await response.text();
      if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
