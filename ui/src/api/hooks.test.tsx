import type { ReactNode } from "react";
import { describe, expect, test } from "vitest";
import { renderHook, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";

import { ApiError } from "./client";
import { FAST_POLL_MS, SLOW_POLL_MS, keys, liveInterval, useDiscoveries, useReview, useScan } from "./hooks";
import { stubFetch } from "../test/fetch";

function wrapper() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const Wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return { client, Wrapper };
}

const emptyList = { discoveries: [], pagination: { page: 0, size: 25, total: 0, total_pages: 0 }, facets: {} };

describe("API hooks", () => {
  test("the discovery list sends only the parameters that are set", async () => {
    const calls = stubFetch({ "GET /api/discovery": () => ({ body: emptyList }) });
    const { Wrapper } = wrapper();
    const { result } = renderHook(() => useDiscoveries({ page: 2, size: 50, search: "orders", format: "", status: undefined, order: "asc" }), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(calls[0]?.url).toBe("/api/discovery?page=2&size=50&search=orders&order=asc");
  });

  test("errors carry the API's status, code and message", async () => {
    stubFetch({ "GET /api/scans/9": () => ({ status: 404, body: { code: "not_found", message: "scan run 9 not found", error_id: "abc" } }) });
    const { Wrapper } = wrapper();
    const { result } = renderHook(() => useScan(9), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.isError).toBe(true));
    const error = result.current.error as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.message]).toEqual([404, "not_found", "scan run 9 not found"]);
  });

  test("a review refreshes lists, details and stats", async () => {
    stubFetch({ "PUT /api/discovery/5/approve": () => ({ body: { id: 5 } }) });
    const { client, Wrapper } = wrapper();
    client.setQueryData(keys.stats, { total: 1 });
    client.setQueryData(keys.discovery(5), { id: 5 });
    const { result } = renderHook(() => useReview(), { wrapper: Wrapper });
    await result.current.mutateAsync({ id: 5, action: { kind: "approve", body: { comments: "ok" } } });
    await waitFor(() => expect(client.getQueryState(keys.stats)?.isInvalidated).toBe(true));
    expect(client.getQueryState(keys.discovery(5))?.isInvalidated).toBe(true);
  });

  test("live data polls fast while a scan runs", () => {
    expect(liveInterval(true)).toBe(FAST_POLL_MS);
    expect(liveInterval(false)).toBe(SLOW_POLL_MS);
    expect([FAST_POLL_MS, SLOW_POLL_MS]).toEqual([5000, 30000]);
  });
});

describe("live events", () => {
  test("each event refreshes what it touches", async () => {
    const { keysForEvent, isActiveScan } = await import("./hooks");
    expect(keysForEvent({ type: "scan_progress", scan_id: 3 })).toEqual([keys.scan(3), ["scans", "list"]]);
    expect(keysForEvent({ type: "scan_queued", scan_id: 3 })).toEqual([keys.scans]);
    expect(keysForEvent({ type: "discovered", scan_id: 3 })).toEqual([keys.discoveries, keys.stats]);
    expect(keysForEvent({ type: "scan_finished", scan_id: 3 })).toContainEqual(keys.assets);
    expect(["queued", "running"].every(isActiveScan)).toBe(true);
    expect(["succeeded", "failed", "cancelled"].some(isActiveScan)).toBe(false);
  });
});
