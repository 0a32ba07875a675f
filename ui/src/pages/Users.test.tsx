import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";

import { meAs, stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import type { User } from "../api/types";
import { Users } from "./Users";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });

const vera: User = { ...meAs("viewer", "vera").user, id: 2, display_name: "Vera Viewer" };

describe("users page", () => {
  test("creates a user with a role and an initial password, checked before the API", async () => {
    let users: User[] = [meAs("admin").user, vera];
    const calls = stubFetch({
      "GET /api/users": () => ({ body: { users } }),
      "GET /api/tokens": () => ({ body: { tokens: [] } }),
      "POST /api/users": (call) => {
        const body = call.body as { username: string; role: User["role"] };
        const created = { ...vera, id: 3, username: body.username, role: body.role, display_name: null };
        users = [...users, created];
        return { status: 201, body: created };
      },
    });
    renderWithProviders(<Users />);
    const table = await screen.findByRole("table", { name: "Users" });
    expect(within(table).getByText("(you)")).toBeTruthy();
    // Your own role and account cannot be changed here (that could lock out every admin).
    expect(within(table).queryByRole("button", { name: "Disable admin" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "New user" }));
    const dialog = await screen.findByRole("dialog", { name: "New user" });
    fireEvent.change(within(dialog).getByLabelText(/Username/), { target: { value: "sam smith" } });
    fireEvent.change(within(dialog).getByLabelText(/Initial password/), { target: { value: "short" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await within(dialog).findByText("No spaces")).toBeTruthy();
    expect(within(dialog).getByText("At least 10 characters")).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    fireEvent.change(within(dialog).getByLabelText(/Username/), { target: { value: "sam" } });
    fireEvent.change(within(dialog).getByLabelText(/Initial password/), { target: { value: "long-enough-1" } });
    fireEvent.mouseDown(within(dialog).getByRole("combobox", { name: /Role/ }));
    fireEvent.click(await screen.findByRole("option", { name: "steward" }));
    fireEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ username: "sam", password: "long-enough-1", role: "steward" });
    expect(await within(screen.getByRole("table", { name: "Users" })).findByText("sam")).toBeTruthy();
  });

  test("changes another user's role and disables them", async () => {
    const calls = stubFetch({
      "GET /api/users": () => ({ body: { users: [meAs("admin").user, vera] } }),
      "GET /api/tokens": () => ({ body: { tokens: [] } }),
      "PATCH /api/users/2": (call) => ({ body: { ...vera, ...(call.body as object) } }),
    });
    renderWithProviders(<Users />);
    const table = await screen.findByRole("table", { name: "Users" });
    fireEvent.mouseDown(within(table).getByRole("combobox", { name: "Role of vera" }));
    fireEvent.click(await screen.findByRole("option", { name: "engineer" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(1));
    fireEvent.click(within(table).getByRole("button", { name: "Disable vera" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(2));
    expect(calls.filter((c) => c.method === "PATCH").map((c) => [c.url, c.body])).toEqual([
      ["/api/users/2", { role: "engineer" }],
      ["/api/users/2", { disabled: true }],
    ]);
    expect(calls.every((c) => c.method === "GET" || c.headers["x-csrf-token"] === "csrf-1")).toBe(true);
  });
});
