// Signing in and what comes with it, in a real browser against the real server: login
// failure then success, sign out, a viewer's narrower UI, API tokens shown once, the audit
// log with its CSV, and creating a user. Any unexpected console error fails the test.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";

import { ADMIN, ADMIN_PASSWORD, DESKTOP, PHONE, apiClient, launchBrowser, openPage, screenshot, signIn, startServer, type ApiClient, type Server } from "./harness";

let server: Server;
let browser: Browser;
let admin: ApiClient;
let current: { page: Page; context: BrowserContext; errors: string[]; allowed: number[] } | null = null;

const VIEWER = "vera";
const VIEWER_PASSWORD = "viewer-password-1";

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  admin = await apiClient(server.base);
  // A viewer, created by the admin through the API as an operator would.
  await admin.call("/api/users", { method: "POST", body: { username: VIEWER, password: VIEWER_PASSWORD, role: "viewer", display_name: "Vera Viewer" } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(async () => {
  const errors = unexpectedErrors();
  await current?.context.close();
  current = null;
  expect(errors, "browser console errors").toEqual([]);
});

/** Chromium logs every 4xx answer as a console error; a test that expects one says so. */
function allowHttpStatus(status: number) {
  current!.allowed.push(status);
}

function unexpectedErrors(): string[] {
  if (!current) return [];
  const allowed = current.allowed.map((s) => `Failed to load resource: the server responded with a status of ${s}`);
  return current.errors.filter((e) => !allowed.some((a) => e.includes(a)));
}

/** A fresh browser (no session); `as` signs it in first. */
async function open(path: string, options: { viewport?: { width: number; height: number }; dark?: boolean; as?: [string, string] } = {}) {
  const { context, page, errors } = await openPage(browser, options);
  current = { page, context, errors, allowed: [] };
  if (options.as) await signIn(context, server.base, ...options.as);
  await page.goto(`${server.base}${path}`);
  return page;
}

async function fillLogin(page: Page, username: string, password: string) {
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("signing in", () => {
  test("the login page, in light and dark on a phone", async () => {
    for (const dark of [false, true]) {
      const page = await open("/", { viewport: PHONE, dark });
      // Not signed in: `GET /api/auth/me` answers 401 and the app shows the login page.
      allowHttpStatus(401);
      await page.waitForURL(/\/login$/);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await screenshot(page, `login-390-${dark ? "dark" : "light"}`);
      const errors = unexpectedErrors();
      await current?.context.close();
      current = null;
      expect(errors, "browser console errors").toEqual([]);
    }
  });

  test("a wrong password is refused, the right one returns to the page asked for; sign out ends the session", async () => {
    const page = await open("/scans?page=0");
    allowHttpStatus(401);
    await page.waitForURL(/\/login\?return_to=%2Fscans/);
    await fillLogin(page, ADMIN, "not-the-password");
    await page.getByRole("alert").getByText("Wrong username or password.").waitFor();
    await screenshot(page, "login-failed-1280");
    await fillLogin(page, ADMIN, ADMIN_PASSWORD);
    await page.waitForURL(/\/scans\?page=0$/);
    await page.getByRole("heading", { name: "Scans" }).waitFor();

    // The app bar names the user and their role; the menu has tokens, password and sign-out.
    // The first admin may have a display name; the role is what matters here.
    const userButton = page.getByRole("button", { name: /^Signed in as .+ \(admin\)$/ });
    await userButton.click();
    const menu = page.getByRole("menu");
    expect(await menu.getByRole("menuitem").allTextContents()).toEqual(["API tokens", "Change password", "Sign out"]);
    await screenshot(page, "user-menu-1280");
    await menu.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);

    // The old session is gone: a page asks to sign in again.
    await page.goto(`${server.base}/connections`);
    await page.waitForURL(/\/login\?return_to=%2Fconnections/);
  });

  test("a viewer sees no review or connection buttons, nor Audit and Users, and signs out to the login page", async () => {
    const { discoveries } = await admin.call<{ discoveries: { id: number }[] }>("/api/discovery?status=pending&size=1");
    const page = await open(`/discoveries/${discoveries[0]!.id}`, { as: [VIEWER, VIEWER_PASSWORD] });
    await page.getByRole("table", { name: "Schema" }).waitFor();
    await page.getByRole("button", { name: "Signed in as Vera Viewer (viewer)" }).waitFor();
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Reject" }).count()).toBe(0);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).not.toContain("Audit");
    expect(await nav.getByRole("link").allTextContents()).not.toContain("Users");

    await nav.getByRole("link", { name: "Connections" }).click();
    await page.getByRole("heading", { name: "Connections", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: "New connection" }).count()).toBe(0);
    await nav.getByRole("link", { name: "Discoveries" }).click();
    await page.getByRole("table", { name: "Discoveries" }).waitFor();
    expect(await page.getByRole("checkbox").count()).toBe(0);
    await nav.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    expect(await page.getByRole("button", { name: "Run discovery" }).count()).toBe(0);

    // The server refuses what the UI does not offer.
    const viewer = await apiClient(server.base, VIEWER, VIEWER_PASSWORD);
    expect((await viewer.raw(`/api/discovery/${discoveries[0]!.id}/approve`, { method: "PUT", body: {} })).status).toBe(403);

    await page.getByRole("button", { name: "Signed in as Vera Viewer (viewer)" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    allowHttpStatus(401);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });
});

describe("API tokens, audit and users", () => {
  test("create a token, see it once, use it, revoke it", async () => {
    const page = await open("/settings/tokens", { as: [ADMIN, ADMIN_PASSWORD] });
    await page.getByRole("heading", { name: "API tokens", exact: true }).waitFor();
    await page.getByRole("button", { name: "New token" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Name" }).fill("e2e script");
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.getByText("You will not see this token again", { exact: false }).waitFor();
    const token = await dialog.getByRole("textbox", { name: "Your new token" }).inputValue();
    expect(token).toMatch(/^torro_pat_/);
    await screenshot(page, "token-created-1280");

    // It works as a bearer token.
    const withToken = await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);

    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    const table = page.getByRole("table", { name: "Your API tokens" });
    await table.getByText("e2e script").waitFor();
    expect(await page.content()).not.toContain(token);
    await screenshot(page, "tokens-1280");

    await table.getByRole("button", { name: "Revoke e2e script" }).click();
    await page.getByRole("dialog", { name: /Revoke/ }).getByRole("button", { name: "Revoke" }).click();
    await table.getByText(/^revoked/).waitFor();
    const revoked = await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(401);
  });

  test("the audit log shows an approval just made, with the actor, and offers it as CSV", async () => {
    const { discoveries } = await admin.call<{ discoveries: { id: number; name: string }[] }>("/api/discovery?status=pending&sort=name&order=desc&size=1");
    const file = discoveries[0]!;
    const page = await open(`/discoveries/${file.id}`, { as: [ADMIN, ADMIN_PASSWORD] });
    await page.getByRole("button", { name: "Approve" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Comments" }).fill("checked in e2e");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await dialog.waitFor({ state: "detached" });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    const table = page.getByRole("table", { name: "Audit log" });
    const row = table.getByRole("row").filter({ hasText: "checked in e2e" });
    await row.waitFor();
    expect(await row.textContent()).toContain(ADMIN);
    await row.getByRole("link", { name: `discovery ${file.id}` }).waitFor();
    await row.getByRole("button", { name: /Show the change/ }).click();
    await page.getByRole("table", { name: "What changed" }).first().waitFor();
    await screenshot(page, "audit-1280");

    // Filters go into the URL and into the CSV link.
    await page.getByRole("textbox", { name: "Actor" }).fill(ADMIN);
    await page.waitForURL(/actor=admin/);
    // The URL changes a moment before the page re-renders: wait for the link to follow.
    await page.locator('a[href^="/api/audit?format=csv&actor=admin"]').waitFor();
    const href = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    expect(href).toMatch(/^\/api\/audit\?format=csv&actor=admin/);
    const csv = await admin.raw(href!);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(await csv.text()).toContain("checked in e2e");

    const phone = await (async () => {
      await current!.context.close();
      current = null;
      return open("/audit", { viewport: PHONE, as: [ADMIN, ADMIN_PASSWORD] });
    })();
    await phone.getByRole("table", { name: "Audit log" }).waitFor();
    await screenshot(phone, "audit-390");
  });

  test("the users page creates a user, who can then sign in", async () => {
    const page = await open("/admin/users", { viewport: DESKTOP, as: [ADMIN, ADMIN_PASSWORD] });
    const table = page.getByRole("table", { name: "Users", exact: true });
    await table.getByText(VIEWER).first().waitFor();
    await page.getByRole("button", { name: "New user" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Username" }).fill("sam");
    await dialog.getByRole("textbox", { name: "Display name" }).fill("Sam Steward");
    await dialog.getByRole("combobox", { name: "Role" }).click();
    await page.getByRole("option", { name: "steward" }).click();
    await dialog.getByLabel("Initial password").fill("steward-password-1");
    await screenshot(page, "user-create-1280");
    await dialog.getByRole("button", { name: "Create user" }).click();
    await dialog.waitFor({ state: "detached" });
    await table.getByText("Sam Steward").waitFor();
    await screenshot(page, "users-1280");
    const sam = await apiClient(server.base, "sam", "steward-password-1");
    const me = await sam.call<{ user: { role: string }; permissions: string[] }>("/api/auth/me");
    expect(me.user.role).toBe("steward");
    expect(me.permissions).toContain("read_audit");
  });
});
