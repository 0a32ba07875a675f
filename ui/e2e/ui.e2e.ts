// The web UI in a real browser against the real server with demo data: search, filter,
// open a file, approve, reject, create and test a connection, trigger a scan and watch it
// finish. Any console error fails the test. Screenshots of every page go to
// ui/e2e-screenshots/ (git-ignored) for a person to look at.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";

import {
  DESKTOP,
  PHONE,
  apiClient,
  cleanScreenshots,
  launchBrowser,
  openPage,
  screenshot,
  signIn,
  startServer,
  type ApiClient,
  type Server,
} from "./harness";

let server: Server;
let browser: Browser;
let admin: ApiClient;
let current: { page: Page; errors: string[]; allowed: number[]; close: () => Promise<void> } | null = null;

/** Chromium logs every 4xx answer as a console error; a test that provokes one on purpose says so. */
function allowHttpStatus(status: number) {
  current!.allowed.push(status);
}

/** The console errors of the current page, less the HTTP statuses the test expects. */
function unexpectedErrors(): string[] {
  if (!current) return [];
  const allowed = current.allowed.map((s) => `Failed to load resource: the server responded with a status of ${s}`);
  return current.errors.filter((e) => !allowed.some((a) => e.includes(a)));
}

beforeAll(async () => {
  cleanScreenshots();
  server = await startServer();
  browser = await launchBrowser();
  admin = await apiClient(server.base);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(async () => {
  const errors = unexpectedErrors();
  await current?.close();
  current = null;
  expect(errors, "browser console errors").toEqual([]);
});

async function open(path: string, options: { viewport?: { width: number; height: number }; dark?: boolean } = {}) {
  const { context, page, errors } = await openPage(browser, options);
  current = { page, errors, allowed: [], close: () => context.close() };
  // Signed in as the demo's admin: these tests are about the pages, auth.e2e.ts about signing in.
  await signIn(context, server.base);
  await page.goto(`${server.base}${path}`);
  return page;
}

async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return admin.call<T>(path, init);
}

/** Waits until no scan runs (the demo's own scan, or one a test started). */
async function scansIdle() {
  for (let i = 0; i < 100; i++) {
    const { scans } = await api<{ scans: { status: string }[] }>("/api/scans");
    if (!scans.some((s) => s.status === "running")) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("a scan kept running");
}

describe("torro web UI", () => {
  test("dashboard shows the catalog at a glance, in light and dark, wide and narrow", async () => {
    for (const [viewport, label] of [
      [DESKTOP, "1280"],
      [PHONE, "390"],
    ] as const) {
      for (const dark of [false, true]) {
        const page = await open("/", { viewport, dark });
        await page.getByRole("heading", { name: "Dashboard" }).waitFor();
        await page.getByRole("region", { name: "Newest discoveries" }).getByRole("link").first().waitFor();
        await page.getByRole("region", { name: "Scans" }).getByText(/Scan \d+/).first().waitFor();
        const stats = await api<{ total: number }>("/api/discovery/stats");
        await expect(page.getByText(String(stats.total), { exact: true }).first().isVisible()).resolves.toBe(true);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        // Follows the system's colour scheme by default.
        expect(background === "rgb(15, 18, 22)").toBe(dark);
        await screenshot(page, `dashboard-${label}-${dark ? "dark" : "light"}`);
        const errors = unexpectedErrors();
        await current?.close();
        current = null;
        expect(errors, "browser console errors").toEqual([]);
      }
    }
  });

  test("the theme toggle remembers the choice", async () => {
    const page = await open("/");
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.getByRole("button", { name: /^Theme: follows the system/ }).click();
    await page.getByRole("button", { name: /^Theme: light/ }).click();
    await page.getByRole("button", { name: /^Theme: dark/ }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: /^Theme: dark/ }).waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(15, 18, 22)");
  });

  test("keyboard only: skip link, menu, table and review dialog", async () => {
    const page = await open("/");
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Skip to content");
    // Through the top bar to the menu, then open Discoveries with Enter.
    for (let i = 0; i < 10; i++) {
      const text = await page.evaluate(() => document.activeElement?.textContent ?? "");
      if (text === "Discoveries") break;
      await page.keyboard.press("Tab");
    }
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/discoveries$/);
    const table = page.getByRole("table", { name: "Discoveries" });
    await table.waitFor();
    // The first file link, reached by Tab, opens with Enter.
    const first = table.getByRole("link").first();
    const name = await first.textContent();
    await first.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: name! }).waitFor();
    // The reject dialog opens, takes input and closes with Escape.
    await page.getByRole("button", { name: "Reject" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    await page.keyboard.type("typed by keyboard");
    await expect(page.getByRole("textbox", { name: "Rejection reason" }).inputValue()).resolves.toBe("typed by keyboard");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
  });

  test("search narrows the catalog, keeps the state in the URL, and filters show facet counts", async () => {
    const page = await open("/discoveries");
    const table = page.getByRole("table", { name: "Discoveries" });
    await table.waitFor();
    const all = await api<{ pagination: { total: number } }>("/api/discovery");
    await page.getByRole("textbox", { name: "Search the catalog" }).fill("email");
    await page.waitForURL(/search=email/);
    const matching = await api<{ pagination: { total: number }; discoveries: { name: string }[] }>("/api/discovery?search=email");
    expect(matching.pagination.total).toBeGreaterThan(0);
    expect(matching.pagination.total).toBeLessThan(all.pagination.total);
    await page.getByText(`${matching.pagination.total} file${matching.pagination.total === 1 ? "" : "s"} match`).waitFor();
    for (const d of matching.discoveries) await table.getByRole("link", { name: d.name, exact: true }).waitFor();
    await screenshot(page, "discoveries-search-1280");

    // The URL alone restores the view.
    const shared = page.url();
    await page.goto(`${server.base}/`);
    await page.goto(shared);
    await expect(page.getByRole("textbox", { name: "Search the catalog" }).inputValue()).resolves.toBe("email");

    // Filter by format through the facet menu.
    await page.getByRole("button", { name: "Clear" }).click();
    await page.waitForURL((url) => !url.search.includes("search="));
    const csv = await api<{ pagination: { total: number } }>("/api/discovery?format=csv");
    await page.getByRole("combobox", { name: "Format" }).click();
    await page.getByRole("option", { name: `CSV (${csv.pagination.total})` }).click();
    await page.waitForURL(/format=csv/);
    await page.getByText(`${csv.pagination.total} file${csv.pagination.total === 1 ? "" : "s"} match`).waitFor();
    const formats = await table.locator("tbody tr td:nth-child(3)").allTextContents();
    expect(formats.length).toBe(csv.pagination.total);
    expect(new Set(formats)).toEqual(new Set(["csv"]));
    await screenshot(page, "discoveries-filter-1280");
  });

  test("discoveries page works on a phone", async () => {
    const page = await open("/discoveries", { viewport: PHONE });
    await page.getByRole("table", { name: "Discoveries" }).waitFor();
    await screenshot(page, "discoveries-390");
    await page.getByRole("button", { name: "Open the menu" }).click();
    await page.getByRole("link", { name: "Scans" }).click();
    await page.getByRole("heading", { name: "Scans" }).waitFor();
    await page.getByRole("table", { name: "Scans" }).waitFor();
    await screenshot(page, "scans-390");
  });

  test("open a file: schema, history, storage details and audit trail", async () => {
    const { discoveries } = await api<{ discoveries: { id: number; name: string }[] }>("/api/discovery?search=products");
    const products = discoveries.find((d) => d.name === "products.parquet");
    expect(products).toBeDefined();
    const page = await open("/discoveries?search=products");
    await page.getByRole("link", { name: "products.parquet", exact: true }).click();
    await page.waitForURL(new RegExp(`/discoveries/${products!.id}$`));
    const schema = page.getByRole("table", { name: "Schema" });
    await schema.waitFor();
    const detail = await api<{ schema_json: { fields: { name: string }[] } }>(`/api/discovery/${products!.id}`);
    for (const f of detail.schema_json.fields) await schema.getByText(f.name, { exact: true }).first().waitFor();
    await screenshot(page, "discovery-schema-1280");
    await page.getByRole("tab", { name: "Schema history" }).click();
    await page.getByRole("list", { name: "Schema versions, newest first" }).getByText("Version 1").waitFor();
    await screenshot(page, "discovery-history-1280");
    await page.getByRole("tab", { name: "Storage & file" }).click();
    await page.getByText("Fingerprint").waitFor();
    await screenshot(page, "discovery-storage-1280");
    await page.getByRole("tab", { name: "Audit trail" }).click();
    await page.getByText("No review yet").waitFor();

    const phone = await open(`/discoveries/${products!.id}`, { viewport: PHONE });
    await phone.getByRole("table", { name: "Schema" }).waitFor();
    await screenshot(phone, "discovery-schema-390");
  });

  test("approve a file from its page as the signed-in user; the audit trail records who and why", async () => {
    const { discoveries } = await api<{ discoveries: { id: number; name: string }[] }>("/api/discovery?search=customers&status=pending");
    const file = discoveries[0]!;
    const page = await open(`/discoveries/${file.id}`);
    await page.getByRole("button", { name: "Approve" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/^as .+ \(admin\), recorded in the audit trail$/).waitFor();
    await dialog.getByRole("textbox", { name: "Comments" }).fill("columns look right");
    await screenshot(page, "review-approve-dialog-1280");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("group", { name: "Status" }).or(page.getByLabel("Status")).getByText("Approved").first().waitFor();
    const after = await api<{ discovery_info: { approval_status: string } }>(`/api/discovery/${file.id}`);
    expect(after.discovery_info.approval_status).toBe("approved");
    await page.getByRole("tab", { name: "Audit trail" }).click();
    const trail = page.getByRole("list", { name: "Audit trail, newest first" });
    await trail.getByText("admin", { exact: true }).waitFor();
    await trail.getByText("columns look right").waitFor();
    await screenshot(page, "discovery-audit-1280");
  });

  test("reject needs a reason, and a refused transition shows the API's 409 message", async () => {
    const page = await open("/discoveries?status=pending&sort=name&order=asc");
    const table = page.getByRole("table", { name: "Discoveries" });
    await table.waitFor();
    const { discoveries } = await api<{ discoveries: { id: number; name: string }[] }>("/api/discovery?status=pending&sort=name&order=asc");
    const [first, second] = discoveries;
    await table.getByRole("checkbox", { name: `Select ${first!.name}` }).check();
    await page.getByRole("toolbar", { name: "Bulk actions" }).getByRole("button", { name: "Reject" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await dialog.getByText("Say why, so the owner can fix it").waitFor();
    await dialog.getByRole("textbox", { name: "Rejection reason" }).fill("contains personal data");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText("Rejected 1 file").waitFor();
    const rejected = await api<{ discovery_info: { approval_status: string } }>(`/api/discovery/${first!.id}`);
    expect(rejected.discovery_info.approval_status).toBe("rejected");

    // Rejecting a rejected file is refused (409): the dialog shows why, the other goes through.
    allowHttpStatus(409);
    await page.goto(`${server.base}/discoveries?sort=name&order=asc&size=100`);
    await table.waitFor();
    await table.getByRole("checkbox", { name: `Select ${first!.name}` }).check();
    await table.getByRole("checkbox", { name: `Select ${second!.name}` }).check();
    await page.getByRole("toolbar", { name: "Bulk actions" }).getByRole("button", { name: "Reject" }).click();
    await dialog.getByRole("textbox", { name: "Rejection reason" }).fill("duplicate");
    await dialog.getByRole("button", { name: "Reject" }).click();
    const alert = dialog.getByRole("alert");
    await alert.getByText(new RegExp(`#${first!.id}: .*rejected`)).waitFor();
    await screenshot(page, "review-reject-409-1280");
    const other = await api<{ discovery_info: { approval_status: string } }>(`/api/discovery/${second!.id}`);
    expect(other.discovery_info.approval_status).toBe("rejected");
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  test("create a connection, test it, see a failing test's error, and scan it to the end", async () => {
    await scansIdle();
    const page = await open("/connections");
    await page.getByText("No connections yet").waitFor();
    await screenshot(page, "connections-empty-1280");
    await page.getByRole("button", { name: "New connection" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Name" }).fill("e2e-lake");
    await dialog.getByRole("textbox", { name: "Root folder" }).fill(`${server.demoDir}/nowhere`);
    await dialog.getByRole("textbox", { name: "Environment", exact: true }).fill("e2e");
    await dialog.getByRole("button", { name: "Test" }).click();
    await dialog.getByRole("alert").getByText("Connection test failed").waitFor();
    await screenshot(page, "connection-test-failed-1280");
    await dialog.getByRole("textbox", { name: "Root folder" }).fill(server.demoDir);
    await dialog.getByRole("textbox", { name: "Folders under the root" }).fill("raw");
    await dialog.getByRole("textbox", { name: "Schedule" }).fill("0 2 * *");
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByText(/A schedule has 5 fields/).waitFor();
    await dialog.getByRole("textbox", { name: "Schedule" }).fill("0 2 * * *");
    await dialog.getByRole("button", { name: "Test" }).click();
    await dialog.getByText(/Connection works/).waitFor();
    await screenshot(page, "connection-form-1280");
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.waitFor({ state: "detached" });
    const card = page.getByRole("article", { name: "Connection e2e-lake" });
    await card.waitFor();
    await card.getByText("schedule 0 2 * * *").waitFor();
    await card.getByRole("button", { name: "Test" }).click();
    await card.getByText(/Connection works/).waitFor();
    await screenshot(page, "connections-1280");

    await card.getByRole("button", { name: "Scan now" }).click();
    await page.getByRole("link", { name: "Follow it" }).click();
    await page.waitForURL(/\/scans\/\d+$/);
    // Polling shows the end of the run without a reload.
    await page.getByText("Succeeded").first().waitFor({ timeout: 30_000 });
    await page.getByRole("heading", { name: /Errors per file/ }).waitFor();
    await screenshot(page, "scan-connection-1280");

    const phone = await open("/connections", { viewport: PHONE });
    await phone.getByRole("article", { name: "Connection e2e-lake" }).waitFor();
    await screenshot(phone, "connections-390");
  });

  test("trigger discovery from the dashboard and watch the scan finish, with its per-file errors", async () => {
    await scansIdle();
    // Change a file's schema so the rescan finds a new version: two columns go, one comes.
    writeFileSync(join(server.demoDir, "raw/crm/customers.csv"), "customer_id,full_name,email,loyalty_tier\n1,Ada,ada@example.com,gold\n");
    const page = await open("/");
    await page.getByRole("button", { name: "Run discovery" }).first().click();
    await page.getByRole("link", { name: "Follow it" }).click();
    await page.waitForURL(/\/scans\/\d+$/);
    await page.getByText("Succeeded").first().waitFor({ timeout: 30_000 });
    const rescan = await api<{ counts: { changed: number } }>(new URL(page.url()).pathname.replace("/scans", "/api/scans"));
    expect(rescan.counts.changed).toBe(1);
    await page.getByText("No errors", { exact: true }).waitFor();
    await screenshot(page, "scan-rescan-1280");

    // The dashboard lists the change; the file's history shows the diff.
    await page.goto(`${server.base}/`);
    const changes = page.getByRole("region", { name: "Recent changes" });
    await changes.getByRole("link", { name: "customers.csv" }).click();
    await page.waitForURL(/#history$/);
    const versions = page.getByRole("list", { name: "Schema versions, newest first" });
    await versions.getByText("Version 2").waitFor();
    await versions.getByText(/loyalty_tier: string/).waitFor();
    await versions.getByText(/country: string/).waitFor();
    await screenshot(page, "discovery-history-diff-1280");
    await page.getByRole("link", { name: "Scans" }).first().click();
    await page.getByRole("table", { name: "Scans" }).waitFor();
    await screenshot(page, "scans-1280");
    // The demo's first scan met one deliberately truncated Parquet file.
    const { scans } = await api<{ scans: { id: number; trigger: string }[] }>("/api/scans");
    const demo = scans.find((s) => s.trigger === "demo")!;
    await page.getByRole("link", { name: `#${demo.id}` }).click();
    const table = page.getByRole("table", { name: "Errors per file" });
    await table.getByText(/\.parquet/).first().waitFor();
    await screenshot(page, "scan-detail-1280");
  });

  test("datasets list and detail", async () => {
    const { datasets } = await api<{ datasets: { id: number; path: string }[] }>("/api/datasets");
    const page = await open("/datasets");
    if (datasets.length === 0) {
      await page.getByText("No datasets yet").waitFor();
      await screenshot(page, "datasets-1280");
      return;
    }
    await page.getByRole("table", { name: "Datasets" }).waitFor();
    await screenshot(page, "datasets-1280");
    await page.getByRole("link", { name: datasets[0]!.path, exact: true }).click();
    await page.getByRole("table", { name: "Files of the dataset" }).waitFor();
    await screenshot(page, "dataset-detail-1280");
  });

  test("files are assets too: list, type filter, a file's columns and history, wide and narrow", async () => {
    const { assets } = await api<{ assets: { id: string; qualified_name: string; columns: unknown[] }[] }>("/api/assets?type=file&size=100");
    expect(assets.length).toBeGreaterThan(0);
    for (const [viewport, label] of [
      [DESKTOP, "1280"],
      [PHONE, "390"],
    ] as const) {
      const page = await open("/assets", { viewport });
      await page.getByRole("heading", { name: "Assets", exact: true }).waitFor();
      await page.getByRole("table", { name: "Assets" }).getByRole("link").first().waitFor();
      await screenshot(page, `assets-${label}`);
      await current!.close();
      current = null;
    }
    const page = await open("/assets");
    await page.getByRole("group", { name: "Asset type" }).getByRole("button", { name: "File", exact: true }).click();
    await page.waitForURL(/type=file/);
    const file = assets.find((a) => a.columns.length > 0) ?? assets[0]!;
    await page.getByRole("textbox", { name: "Search assets" }).fill(file.qualified_name);
    await page.waitForURL(/search=/);
    await page.getByRole("link", { name: file.qualified_name, exact: true }).click();
    await page.getByRole("heading", { name: file.qualified_name }).waitFor();
    await page.getByRole("link", { name: "Open the file's review" }).waitFor();
    if (file.columns.length > 0) await page.getByRole("table", { name: "Columns" }).waitFor();
    await screenshot(page, "asset-file-1280");
    await page.getByRole("tab", { name: "Schema history" }).click();
    await page.getByRole("region", { name: "Version 1" }).waitFor();
    await screenshot(page, "asset-file-history-1280");
  });

  test("a SQLite database: tables and views as assets, the view's lineage, and business metadata edits", async () => {
    // A small database beside the demo lake, scanned through a managed connection.
    const path = join(dirname(server.demoDir), "shop.db");
    const sql = [
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT DEFAULT 'NL');",
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), amount REAL NOT NULL DEFAULT 0, placed_at TEXT);",
      "CREATE VIEW big_orders AS SELECT o.id, c.name AS customer, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.amount > 100;",
      "CREATE VIEW customer_totals AS SELECT customer, SUM(amount) AS total FROM big_orders GROUP BY customer;",
    ].join("\n");
    // Python's standard sqlite3 module: on every machine of this project (the sqlite3 CLI is not).
    execFileSync("python3", ["-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(sys.stdin.read())", path], {
      input: sql,
    });
    const connection = await api<{ id: number }>("/api/connections", {
      method: "POST",
      body: {
        name: "e2e-shop",
        connector_type: "sqlite",
        config: { containers: [], folders: [], file_extensions: [], options: {}, database: { jdbc_url: `jdbc:sqlite:${path}` } },
        secrets: {},
        environment: "e2e",
        env_type: "",
        data_source_type: "",
        tags: [],
      },
    });
    expect(connection.id).toBeGreaterThan(0);
    const queued = await api<{ scan_id: number }>(`/api/connections/${connection.id}/scan`, { method: "POST" });
    for (let i = 0; ; i++) {
      const run = await api<{ status: string; message: string | null }>(`/api/scans/${queued.scan_id}`);
      if (run.status === "succeeded") break;
      if (run.status !== "queued" && run.status !== "running") throw new Error(`the database scan ended ${run.status}: ${run.message}`);
      if (i > 150) throw new Error("the database scan did not finish in 30 s");
      await new Promise((r) => setTimeout(r, 200));
    }

    const page = await open(`/assets?connector=${connection.id}`);
    const table = page.getByRole("table", { name: "Assets" });
    await table.getByRole("link", { name: /big_orders$/ }).waitFor();
    await table.getByRole("link", { name: /orders$/ }).first().waitFor();
    await screenshot(page, "assets-database-1280");
    await page.getByRole("group", { name: "Asset type" }).getByRole("button", { name: "View", exact: true }).click();
    await page.waitForURL(/type=view/);
    await table.getByRole("link", { name: /big_orders$/ }).click();

    // Columns and the definition.
    await page.getByRole("heading", { name: /big_orders$/ }).waitFor();
    await page.getByRole("table", { name: "Columns" }).getByText("customer", { exact: true }).waitFor();
    await page.getByRole("region", { name: "Definition" }).getByText(/CREATE VIEW big_orders/).waitFor();
    await screenshot(page, "asset-view-1280");

    // Lineage: orders and customers feed it, customer_totals reads it.
    await page.getByRole("tab", { name: "Lineage" }).click();
    const upstream = page.getByRole("region", { name: "Upstream" });
    await upstream.getByRole("link", { name: /orders$/ }).waitFor();
    await upstream.getByRole("link", { name: /customers$/ }).waitFor();
    await page.getByRole("region", { name: "Downstream" }).getByRole("link", { name: /customer_totals$/ }).waitFor();
    await screenshot(page, "asset-lineage-1280");
    await page.getByRole("combobox", { name: "Depth" }).click();
    await page.getByRole("option", { name: "2 hops" }).click();
    await page.getByRole("textbox", { name: "As of" }).fill("2000-01-01");
    await page.getByText("No lineage recorded").waitFor();
    await page.getByRole("textbox", { name: "As of" }).fill("");
    await upstream.getByRole("link", { name: /orders$/ }).waitFor();

    // Business metadata, edited as the signed-in user.
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Description" }).fill("Orders over 100 euros, with the customer's name.");
    await dialog.getByRole("textbox", { name: "Tags" }).fill("sales, finance");
    await dialog.getByRole("textbox", { name: "Owners" }).fill("ana@example.com");
    await dialog.getByText(/^as .+ \(admin\), recorded in the audit log$/).waitFor();
    await screenshot(page, "asset-edit-1280");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText("Orders over 100 euros, with the customer's name.").waitFor();
    await page.getByRole("tab", { name: "Details" }).click();
    await page.getByRole("region", { name: "Catalog facts" }).waitFor();
    await screenshot(page, "asset-details-1280");
    const url = page.url().replace(/#.*$/, "");

    const phone = await (async () => {
      await current!.close();
      current = null;
      return open(new URL(url).pathname, { viewport: PHONE, dark: true });
    })();
    await phone.getByRole("table", { name: "Columns" }).waitFor();
    await screenshot(phone, "asset-view-390-dark");
    await phone.getByRole("tab", { name: "Lineage" }).click();
    await phone.getByRole("region", { name: "Upstream" }).getByRole("link").first().waitFor();
    await screenshot(phone, "asset-lineage-390-dark");
  });

  test("unknown pages and missing files say so", async () => {
    const page = await open("/no/such/page");
    await page.getByText("There is no page at this address").waitFor();
    await screenshot(page, "not-found-1280");
    allowHttpStatus(404);
    await page.goto(`${server.base}/discoveries/999999`);
    await page.getByText("Discovery 999999 does not exist").waitFor();
    await screenshot(page, "discovery-missing-1280");
    await page.goto(`${server.base}/assets/db-999999`);
    await page.getByText("Asset db-999999 does not exist").waitFor();
  });
});
