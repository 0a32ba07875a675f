import { describe, expect, test } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";

import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { Discoveries } from "./Discoveries";

const row = (id: number, name: string) => ({
  id,
  urn: `file://h/lake/${name}`,
  storage_type: "local",
  account: "",
  container: "/lake",
  path: name,
  folder: "raw",
  name,
  extension: "csv",
  format: "csv",
  size: 100,
  etag: null,
  last_modified: null,
  row_count: null,
  column_count: 2,
  schema_hash: "h",
  status: "active",
  approval_status: "pending",
  environment: "prod",
  env_type: "",
  data_source_type: "",
  tags: [],
  source_name: "lake",
  first_seen: "2026-01-01T00:00:00Z",
  last_seen: "2026-01-01T00:00:00Z",
  last_changed: "2026-01-01T00:00:00Z",
  deleted: false,
  error: null,
  dataset_id: null,
  partition_values: null,
});

const facets = { storage_type: { local: 2 }, account: {}, container: {}, format: { csv: 2, unknown: 1 }, environment: { prod: 2 }, data_source_type: {}, status: { active: 2 }, approval_status: { pending: 2 } };

function Where() {
  const { search } = useLocation();
  return <output aria-label="location">{search}</output>;
}

describe("Discoveries page", () => {
  test("reads its state from the URL and writes the debounced search back", async () => {
    const calls = stubFetch({
      "GET /api/discovery": () => ({ body: { discoveries: [row(1, "a.csv"), row(2, "b.csv")], pagination: { page: 0, size: 25, total: 2, total_pages: 1 }, facets } }),
    });
    renderWithProviders(
      <Routes>
        <Route path="/discoveries" element={<><Discoveries /><Where /></>} />
      </Routes>,
      { route: "/discoveries?format=csv&sort=name&order=asc" },
    );
    expect(await screen.findByRole("link", { name: "a.csv" })).toBeTruthy();
    expect(calls[0]?.url).toBe("/api/discovery?format=csv&sort=name&order=asc&page=0&size=25");
    // Facet counts label the filter's current value.
    expect(screen.getByRole("combobox", { name: "Format" }).textContent).toBe("CSV (2)");

    fireEvent.change(screen.getByRole("textbox", { name: "Search the catalog" }), { target: { value: "orders" } });
    await waitFor(() => expect(screen.getByRole("status", { name: "location" }).textContent).toContain("search=orders"), { timeout: 2000 });
    expect(screen.getByLabelText("location").textContent).toBe("?search=orders&format=csv&sort=name&order=asc");
    await waitFor(() => expect(calls.some((c) => c.url.includes("search=orders"))).toBe(true));
  });

  test("an empty catalog says what to do, and a failed load offers a retry", async () => {
    stubFetch({ "GET /api/discovery": () => ({ body: { discoveries: [], pagination: { page: 0, size: 25, total: 0, total_pages: 0 }, facets } }) });
    const first = renderWithProviders(<Discoveries />, { route: "/discoveries" });
    expect(await screen.findByText("The catalog is empty")).toBeTruthy();
    first.unmount();

    stubFetch({ "GET /api/discovery": () => ({ status: 500, body: { code: "internal", message: "the catalog database is unavailable", error_id: "err-1" } }) });
    renderWithProviders(<Discoveries />, { route: "/discoveries" });
    expect(await screen.findByText(/the catalog database is unavailable \(error id err-1\)/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });

  test("selecting rows offers bulk approve and reject", async () => {
    stubFetch({
      "GET /api/discovery": () => ({ body: { discoveries: [row(1, "a.csv"), row(2, "b.csv")], pagination: { page: 0, size: 25, total: 2, total_pages: 1 }, facets } }),
    });
    renderWithProviders(<Discoveries />, { route: "/discoveries" });
    fireEvent.click(await screen.findByRole("checkbox", { name: "Select every row on this page" }));
    expect(screen.getByText("2 selected")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(await screen.findByRole("heading", { name: "Reject 2 discoveries" })).toBeTruthy();
  });
});
