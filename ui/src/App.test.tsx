import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, within } from "@testing-library/react";

import { App } from "./App";
import { meAs, stubFetch } from "./test/fetch";
import { renderWithProviders } from "./test/render";
import type { Role } from "./api/types";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 8000 });

const connection = {
  id: 1,
  name: "lake",
  connector_type: "local",
  connection_type: "none",
  status: "active",
  config: { root: "/data", containers: [], account: null, endpoint: null, options: {} },
  secrets: {},
  environment: null,
  data_source_type: null,
  schedule: null,
  last_tested_at: null,
  last_test_error: null,
};

const renderAt = (route: string) => renderWithProviders(<App />, { route });
const SLOW = 20_000;

/** Tests run at phone width (jsdom matches no media query): the menu is a drawer. */
async function openNav() {
  fireEvent.click(await screen.findByRole("button", { name: "Open the menu" }));
  return screen.findByRole("navigation", { name: "Main" });
}

function stubAs(role: Role) {
  return stubFetch({
    "GET /api/auth/me": () => ({ body: meAs(role) }),
    "GET /api/connections": () => ({ body: { connections: [connection] } }),
    "GET /api/auth/config": () => ({ body: { local_login: true, oidc: { enabled: false, label: null }, auth_enabled: true } }),
  });
}

describe("what each role is offered", () => {
  test("a viewer sees connections but no buttons to change or scan them, and no Audit or Users", async () => {
    stubAs("viewer");
    renderAt("/connections");
    const card = await screen.findByRole("article", { name: "Connection lake" });
    expect(within(card).queryByRole("button")).toBeNull();
    expect(screen.queryByRole("button", { name: "New connection" })).toBeNull();
    expect(screen.getByRole("button", { name: "Signed in as viewer1 (viewer)" })).toBeTruthy();
    const nav = await openNav();
    expect(within(nav).getByRole("link", { name: "Connections" })).toBeTruthy();
    expect(within(nav).queryByRole("link", { name: "Audit" })).toBeNull();
    expect(within(nav).queryByRole("link", { name: "Users" })).toBeNull();
  }, SLOW);

  test("an engineer may operate connections but not read the audit log", async () => {
    stubAs("engineer");
    renderAt("/connections");
    const card = await screen.findByRole("article", { name: "Connection lake" });
    expect(within(card).getAllByRole("button").map((b) => b.textContent)).toEqual(["Test", "Scan now", "Edit", "Delete"]);
    expect(screen.getByRole("button", { name: "New connection" })).toBeTruthy();
    expect(within(await openNav()).queryByRole("link", { name: "Audit" })).toBeNull();
  }, SLOW);

  test("an admin gets Audit and Users in the menu", async () => {
    stubAs("admin");
    renderAt("/connections");
    const nav = await openNav();
    expect(within(nav).getByRole("link", { name: "Audit" }).getAttribute("href")).toBe("/audit");
    expect(within(nav).getByRole("link", { name: "Users" }).getAttribute("href")).toBe("/admin/users");
  }, SLOW);

  test("a page the role may not open says so instead of calling the API", async () => {
    const calls = stubAs("engineer");
    renderAt("/admin/users");
    expect(await screen.findByText("Your role cannot open this page")).toBeTruthy();
    expect(calls.some((c) => c.url.startsWith("/api/users"))).toBe(false);
  });

  test("nobody signed in: the login page, with the way back", async () => {
    stubFetch({
      "GET /api/auth/me": () => ({ status: 401, body: { code: "unauthenticated", message: "no session" } }),
      "GET /api/auth/config": () => ({ body: { local_login: true, oidc: { enabled: true, label: "SSO" }, auth_enabled: true } }),
    });
    renderAt("/scans?page=2");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    // The provider's button carries the same way back as the login form.
    expect((await screen.findByRole("link", { name: "SSO" })).getAttribute("href")).toBe("/api/auth/oidc/login?return_to=%2Fscans%3Fpage%3D2");
  });

  test("the user menu offers tokens, password and sign-out; signing out shows the login page", async () => {
    let signedIn = true;
    const calls = stubFetch({
      "GET /api/auth/me": () => (signedIn ? { body: meAs("steward", "ada") } : { status: 401, body: { code: "unauthenticated", message: "no" } }),
      "POST /api/auth/logout": () => {
        signedIn = false;
        return { status: 204 };
      },
      "GET /api/connections": () => ({ body: { connections: [] } }),
      "GET /api/auth/config": () => ({ body: { local_login: true, oidc: { enabled: false, label: null }, auth_enabled: true } }),
    });
    renderAt("/connections");
    fireEvent.click(await screen.findByRole("button", { name: "Signed in as ada (steward)" }));
    const menu = await screen.findByRole("menu");
    expect(within(menu).getAllByRole("menuitem").map((m) => m.textContent)).toEqual(["API tokens", "Change password", "Sign out"]);
    fireEvent.click(within(menu).getByRole("menuitem", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    const logout = calls.find((c) => c.url === "/api/auth/logout");
    expect(logout?.headers["x-csrf-token"]).toBe("csrf-1");
  }, SLOW);
});
