import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";

import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { sampleAsset } from "../test/assets";
import { Assets } from "./Assets";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });

function Where() {
  const { search } = useLocation();
  return <output aria-label="location">{search}</output>;
}

const list = (assets = [sampleAsset(), sampleAsset({ id: "file-2", type: "file", qualified_name: "lake/raw/a.csv", deleted: true })]) => ({
  body: { assets, pagination: { page: 0, size: 25, total: assets.length, total_pages: 1 } },
});

const SLOW = 20_000;

describe("Assets page", () => {
  test("reads filters from the URL, writes the debounced search and type back, and links rows", async () => {
    const calls = stubFetch({ "GET /api/assets": () => list(), "GET /api/connections": () => ({ body: { connections: [] } }) });
    renderWithProviders(
      <Routes>
        <Route path="/assets" element={<><Assets /><Where /></>} />
      </Routes>,
      { route: "/assets?type=view&connector=3" },
    );
    expect((await screen.findByRole("link", { name: "shop.main.big_orders" })).getAttribute("href")).toBe("/assets/db-1");
    expect(screen.getByText("deleted")).toBeTruthy();
    expect(calls.find((c) => c.url.startsWith("/api/assets"))?.url).toBe("/api/assets?size=25&type=view&connector=3&page=0");

    fireEvent.change(screen.getByRole("textbox", { name: "Search assets" }), { target: { value: "orders" } });
    await waitFor(() => expect(screen.getByLabelText("location").textContent).toBe("?search=orders&type=view&connector=3"));
    fireEvent.click(screen.getByRole("button", { name: "Table" }));
    await waitFor(() => expect(screen.getByLabelText("location").textContent).toBe("?search=orders&type=table&connector=3"));
    await waitFor(() => expect(calls.at(-1)?.url).toBe("/api/assets?size=25&type=table&search=orders&connector=3&page=0"));
  }, SLOW);

  test("an empty filtered list offers to clear the filters", async () => {
    stubFetch({ "GET /api/assets": () => list([]), "GET /api/connections": () => ({ body: { connections: [] } }) });
    renderWithProviders(
      <Routes>
        <Route path="/assets" element={<><Assets /><Where /></>} />
      </Routes>,
      { route: "/assets?search=zzz" },
    );
    fireEvent.click(await screen.findByRole("button", { name: "Clear search and filters" }));
    await waitFor(() => expect(screen.getByLabelText("location").textContent).toBe(""));
  }, SLOW);
});
