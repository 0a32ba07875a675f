import { afterEach, describe, expect, test, vi } from "vitest";

import { ApiError, del, get, loginPath, post, safeReturnTo, setCsrfToken, setUnauthorizedHandler } from "./client";
import { stubFetch } from "../test/fetch";

afterEach(() => {
  setCsrfToken(null);
  setUnauthorizedHandler(null);
  window.history.replaceState(null, "", "/");
});

describe("fetch wrapper", () => {
  test("sends the session cookie always and the CSRF token only on changes", async () => {
    const calls = stubFetch({
      "GET /api/scans": () => ({ body: { scans: [] } }),
      "POST /api/discovery/trigger": () => ({ status: 202, body: { scan_id: 1 } }),
      "DELETE /api/tokens/4": () => ({ body: { id: 4 } }),
    });
    setCsrfToken("tok-123");
    await get("/api/scans");
    await post("/api/discovery/trigger");
    await del("/api/tokens/4");
    expect(calls.map((c) => c.credentials)).toEqual(["same-origin", "same-origin", "same-origin"]);
    expect(calls.map((c) => c.headers["x-csrf-token"])).toEqual([undefined, "tok-123", "tok-123"]);
  });

  test("without a session there is no CSRF header to send", async () => {
    const calls = stubFetch({ "POST /api/auth/login": () => ({ body: { csrf_token: "x" } }) });
    await post("/api/auth/login", { username: "a", password: "b" });
    expect(calls[0]?.headers).not.toHaveProperty("x-csrf-token");
    expect(calls[0]?.headers["content-type"]).toBe("application/json");
  });

  test("a 401 sends the user to the login page with the way back", async () => {
    stubFetch({ "GET /api/scans": () => ({ status: 401, body: { code: "unauthenticated", message: "sign in first" } }) });
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    setCsrfToken("old");
    window.history.replaceState(null, "", "/scans?page=2#top");
    const error = await get("/api/scans").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(handler).toHaveBeenCalledWith("/scans?page=2#top");
    expect(loginPath("/scans?page=2#top")).toBe("/login?return_to=%2Fscans%3Fpage%3D2%23top");
  });

  test("a 401 from signing in or asking who is signed in is an answer, not a redirect", async () => {
    stubFetch({
      "POST /api/auth/login": () => ({ status: 401, body: { code: "unauthenticated", message: "wrong" } }),
      "GET /api/auth/me": () => ({ status: 401, body: { code: "unauthenticated", message: "nobody" } }),
    });
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    await expect(post("/api/auth/login", {})).rejects.toBeInstanceOf(ApiError);
    await expect(get("/api/auth/me")).rejects.toBeInstanceOf(ApiError);
    expect(handler).not.toHaveBeenCalled();
  });

  test("a 429 carries the Retry-After seconds", async () => {
    stubFetch({
      "POST /api/auth/login": () => ({ status: 429, body: { code: "rate_limited", message: "slow down" }, headers: { "retry-after": "42" } }),
    });
    const error = (await post("/api/auth/login", {}).catch((e: unknown) => e)) as ApiError;
    expect([error.status, error.code, error.retryAfter]).toEqual([429, "rate_limited", 42]);
  });

  test("return paths stay on this site", () => {
    expect(safeReturnTo("/assets/db-1#lineage")).toBe("/assets/db-1#lineage");
    expect(safeReturnTo("//evil.example/x")).toBe("/");
    expect(safeReturnTo("/\\evil.example")).toBe("/");
    expect(safeReturnTo("https://evil.example/")).toBe("/");
    expect(safeReturnTo("/login?return_to=/x")).toBe("/");
    expect(safeReturnTo(null)).toBe("/");
    expect(loginPath("/")).toBe("/login");
  });
});
