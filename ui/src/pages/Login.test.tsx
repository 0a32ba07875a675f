import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";

import { meAs, stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { Login } from "./Login";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });

const config = (oidc: boolean) => ({
  body: { local_login: true, oidc: { enabled: oidc, label: oidc ? "Sign in with Acme SSO" : null }, auth_enabled: true },
});
const nobody = () => ({ status: 401, body: { code: "unauthenticated", message: "not signed in" } });

function Where() {
  const { pathname, search } = useLocation();
  return <output aria-label="location">{pathname + search}</output>;
}

function renderLogin(route: string) {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="*" element={<Where />} />
    </Routes>,
    { route },
  );
}

function signIn(username: string, password: string) {
  fireEvent.change(screen.getByLabelText(/Username/), { target: { value: username } });
  fireEvent.change(screen.getByLabelText(/Password/), { target: { value: password } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("login page", () => {
  test("a wrong password says so; the right one returns to where the user was going", async () => {
    let signedIn = false;
    let meAsked = 0;
    const calls = stubFetch({
      "GET /api/auth/config": () => config(false),
      "GET /api/auth/me": () => {
        meAsked++;
        return signedIn ? { body: meAs("steward", "ada") } : nobody();
      },
      "POST /api/auth/login": (call) => {
        if ((call.body as { password: string }).password !== "right-one") return { status: 401, body: { code: "unauthenticated", message: "invalid credentials" } };
        signedIn = true;
        return { body: { user: meAs("steward", "ada").user, csrf_token: "c1" } };
      },
    });
    renderLogin("/login?return_to=%2Fdiscoveries%3Fpage%3D2");
    await screen.findByRole("button", { name: "Sign in" });
    expect(screen.queryByRole("link", { name: /Sign in with/ })).toBeNull();
    signIn("ada", "wrong");
    expect((await screen.findByRole("alert")).textContent).toBe("Wrong username or password.");
    signIn("ada", "right-one");
    expect((await screen.findByRole("status", { name: "location" })).textContent).toBe("/discoveries?page=2");
    // Signing in asks the server again who this is (the "nobody" answer must not be reused).
    expect(meAsked).toBe(2);
    expect(calls.filter((c) => c.url === "/api/auth/login").map((c) => c.body)).toEqual([
      { username: "ada", password: "wrong" },
      { username: "ada", password: "right-one" },
    ]);
  });

  test("too many attempts shows when to try again", async () => {
    stubFetch({
      "GET /api/auth/config": () => config(false),
      "GET /api/auth/me": nobody,
      "POST /api/auth/login": () => ({ status: 429, body: { code: "rate_limited", message: "too many" }, headers: { "retry-after": "30" } }),
    });
    renderLogin("/login");
    await screen.findByRole("button", { name: "Sign in" });
    signIn("ada", "x");
    expect((await screen.findByRole("alert")).textContent).toBe("Too many sign-in attempts. Try again in 30 seconds.");
  });

  test("empty fields are caught before calling the API", async () => {
    const calls = stubFetch({ "GET /api/auth/config": () => config(false), "GET /api/auth/me": nobody });
    renderLogin("/login");
    fireEvent.click(await screen.findByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Enter your username")).toBeTruthy();
    expect(screen.getByText("Enter your password")).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });

  test("the OIDC button appears when the server has a provider and keeps the way back", async () => {
    stubFetch({ "GET /api/auth/config": () => config(true), "GET /api/auth/me": nobody });
    renderLogin("/login?return_to=%2Faudit%3Factor%3Dada");
    const button = await screen.findByRole("link", { name: "Sign in with Acme SSO" });
    expect(button.getAttribute("href")).toBe("/api/auth/oidc/login?return_to=%2Faudit%3Factor%3Dada");
    expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy();
  });

  test("a user who is already signed in goes straight on", async () => {
    stubFetch({ "GET /api/auth/config": () => config(false), "GET /api/auth/me": () => ({ body: meAs("viewer") }) });
    renderLogin("/login?return_to=%2Fscans");
    await waitFor(() => expect(screen.getByRole("status", { name: "location" }).textContent).toBe("/scans"));
  });
});
