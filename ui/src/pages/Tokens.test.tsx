import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";

import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import type { ApiToken } from "../api/types";
import { Tokens } from "./Tokens";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });
const SLOW = 20_000;

const token = (over: Partial<ApiToken> = {}): ApiToken => ({
  id: 1,
  user_id: 1,
  username: "admin",
  name: "ci",
  prefix: "torro_pat_ab12",
  created_at: "2026-01-01T00:00:00Z",
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  ...over,
});

describe("API tokens page", () => {
  test("a new token is shown once, with a warning, and is gone when the dialog closes", async () => {
    const secret = "torro_pat_ab12cd34_thesecretpart";
    let tokens: ApiToken[] = [];
    const calls = stubFetch({
      "GET /api/tokens": () => ({ body: { tokens } }),
      "POST /api/tokens": (call) => {
        const info = token({ id: 7, name: (call.body as { name: string }).name, expires_at: "2026-04-01T00:00:00Z" });
        tokens = [info];
        return { status: 201, body: { token: secret, info } };
      },
    });
    renderWithProviders(<Tokens />);
    expect(await screen.findByText("No API tokens yet")).toBeTruthy();
    fireEvent.click(screen.getAllByRole("button", { name: "New token" })[0]!);
    const dialog = await screen.findByRole("dialog", { name: "New API token" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create token" }));
    expect(await within(dialog).findByText(/Name it after what uses it/)).toBeTruthy();
    fireEvent.change(within(dialog).getByRole("textbox", { name: /Name/ }), { target: { value: "nightly export" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create token" }));
    const shown = await screen.findByRole("dialog", { name: "Token “nightly export” created" });
    expect(within(shown).getByText(/You will not see this token again/)).toBeTruthy();
    expect((within(shown).getByRole("textbox", { name: "Your new token" }) as HTMLInputElement).value).toBe(secret);
    expect(within(shown).getByRole("button", { name: "Copy the token" })).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "nightly export", expires_in_days: 90 });

    fireEvent.click(within(shown).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await screen.findByRole("table", { name: "Your API tokens" })).toBeTruthy();
    expect(document.body.textContent).not.toContain(secret);
    expect(screen.getByText("torro_pat_ab12…")).toBeTruthy();
  }, SLOW);

  test("revoking asks first, then deletes; a revoked token has no button", async () => {
    let tokens = [token(), token({ id: 2, name: "old", revoked_at: "2026-01-02T00:00:00Z" })];
    const calls = stubFetch({
      "GET /api/tokens": () => ({ body: { tokens } }),
      "DELETE /api/tokens/1": () => {
        tokens = tokens.map((t) => (t.id === 1 ? { ...t, revoked_at: "2026-01-03T00:00:00Z" } : t));
        return { body: tokens[0] };
      },
    });
    renderWithProviders(<Tokens />);
    const table = await screen.findByRole("table", { name: "Your API tokens" });
    expect(within(table).queryByRole("button", { name: "Revoke old" })).toBeNull();
    fireEvent.click(within(table).getByRole("button", { name: "Revoke ci" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke “ci”?" });
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Your API tokens" })).queryByRole("button", { name: "Revoke ci" })).toBeNull());
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/tokens/1"]);
  }, SLOW);
});
