import { afterEach, describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";

import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { sampleAsset, sampleGraph } from "../test/assets";
import { patchBody, splitList } from "../components/BusinessMetadataEditor";
import { AssetDetailPage, metadataItems } from "./AssetDetail";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });

const page = (route: string) =>
  renderWithProviders(
    <Routes>
      <Route path="/assets/:id" element={<AssetDetailPage />} />
    </Routes>,
    { route },
  );

afterEach(() => window.localStorage.clear());

// The machine is shared: generous budgets for tests that type into dialogs.
const SLOW = 20_000;

describe("asset detail", () => {
  test("shows the header, columns with keys and defaults, and the definition", async () => {
    stubFetch({ "GET /api/assets/db-1": () => ({ body: sampleAsset() }) });
    page("/assets/db-1");
    await screen.findByRole("heading", { name: "shop.main.big_orders" });
    expect(screen.getByText("sqlite:///tmp/shop.db/main.big_orders", { selector: "span" })).toBeTruthy();
    const columns = screen.getByRole("table", { name: "Columns" });
    expect(within(columns).getByText("PK")).toBeTruthy();
    expect(within(columns).getAllByText("in euros").length).toBeGreaterThan(0);
    expect(screen.getByRole("region", { name: "Definition" }).textContent).toContain("CREATE VIEW big_orders");
  }, SLOW);

  test("edits business metadata with PATCH, and shows the API's error", async () => {
    let fail = true;
    let stored = sampleAsset();
    const calls = stubFetch({
      "GET /api/assets/db-1": () => ({ body: stored }),
      "PATCH /api/assets/db-1": () => {
        if (fail) return { status: 400, body: { code: "invalid", message: "tags: a tag is at most 100 characters", error_id: "e1" } };
        stored = sampleAsset({ business_metadata: { description: "Orders over 100", tags: ["sales"], owners: ["ana"], glossary_terms: [] } });
        return { body: stored };
      },
    });
    page("/assets/db-1");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const dialog = await screen.findByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText("Description"), { target: { value: "Orders over 100" } });
    fireEvent.change(within(dialog).getByLabelText("Owners"), { target: { value: "ana, ana" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await within(dialog).findByText("tags: a tag is at most 100 characters");
    // Who edits is the signed-in user: shown, not asked, not sent.
    expect(within(dialog).getByText(/recorded in the audit log/).textContent).toBe("as admin (admin), recorded in the audit log");
    expect(within(dialog).queryByLabelText(/Your name/)).toBeNull();
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({ description: "Orders over 100", owners: ["ana"] });

    fail = false;
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await screen.findByText("Orders over 100")).toBeTruthy();
  }, SLOW);

  test("files and datasets are not edited here", async () => {
    stubFetch({ "GET /api/assets/file-4": () => ({ body: sampleAsset({ id: "file-4", type: "file", definition: null }) }) });
    page("/assets/file-4");
    await screen.findByRole("heading", { name: "shop.main.big_orders" });
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    expect(screen.getByRole("link", { name: "Open the file's review" }).getAttribute("href")).toBe("/discoveries/4");
  }, SLOW);

  test("the lineage tab lists upstream and downstream with column mappings, and links nodes to assets", async () => {
    const calls = stubFetch({
      "GET /api/assets/db-1": () => ({ body: sampleAsset() }),
      "GET /api/lineage/graph": () => ({ body: sampleGraph }),
      "GET /api/assets": () => ({
        body: { assets: [sampleAsset({ id: "db-2", urn: "sqlite:///tmp/shop.db/main.orders" })], pagination: { page: 0, size: 100, total: 1, total_pages: 1 } },
      }),
    });
    page("/assets/db-1#lineage");
    const upstream = await screen.findByRole("region", { name: "Upstream" });
    expect(within(upstream).getByRole("link", { name: "lake/raw/orders.csv" }).getAttribute("href")).toBe("/assets/file-7");
    expect(await within(upstream).findByRole("link", { name: "shop.main.big_orders" })).toHaveProperty("href", expect.stringContaining("/assets/db-2"));
    expect(within(upstream).getByText("amount → amount (filter only)")).toBeTruthy();
    const downstream = screen.getByRole("region", { name: "Downstream" });
    expect(within(downstream).getByText("amount → total (SUM(amount))")).toBeTruthy();
    expect(calls.find((c) => c.url.startsWith("/api/lineage/graph"))?.url).toBe(
      "/api/lineage/graph?urn=sqlite%3A%2F%2F%2Ftmp%2Fshop.db%2Fmain.big_orders&direction=both&depth=1",
    );
  }, SLOW);

  test("an asset without lineage (404) says so instead of failing", async () => {
    stubFetch({ "GET /api/assets/db-1": () => ({ body: sampleAsset() }) });
    page("/assets/db-1#lineage");
    expect(await screen.findByText("No lineage recorded")).toBeTruthy();
  }, SLOW);

  test("a missing asset and a malformed id say so", async () => {
    stubFetch({});
    page("/assets/db-9");
    expect(await screen.findByText("Asset db-9 does not exist")).toBeTruthy();
  }, SLOW);
});

describe("business metadata body", () => {
  const asset = sampleAsset({ business_metadata: { description: "old", tags: ["a"], owners: ["x"], glossary_terms: [] } });
  test("sends only what changed, and null to clear the description", () => {
    expect(patchBody(asset, { description: "old", tags: "a", owners: "x", comment: "" })).toEqual({});
    expect(patchBody(asset, { description: " ", tags: "a, b", owners: "", comment: "why" })).toEqual({
      description: null,
      tags: ["a", "b"],
      owners: [],
      comment: "why",
    });
  }, SLOW);

  test("lists split on commas and lines, without blanks or repeats", () => {
    expect(splitList("a, b,,\n c, a")).toEqual(["a", "b", "c"]);
  }, SLOW);

  test("metadata objects become readable rows", () => {
    expect(metadataItems({ row_estimate: 12, primary_key: ["id"], empty: [], none: null })).toEqual([
      ["Row estimate", "12"],
      ["Primary key", '["id"]'],
    ]);
  }, SLOW);
});
