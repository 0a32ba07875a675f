import { describe, expect, test, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";

import type { Connection } from "../api/types";
import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { ConnectionDialog } from "./ConnectionDialog";

const stored: Connection = {
  id: 4,
  name: "finance",
  connector_type: "azure_blob",
  connection_type: "account_key",
  config: { account: "acct1", root: null, containers: ["raw"], folders: [], file_extensions: [], endpoint: null, region: null, options: { max_retries: "5" } },
  secrets: { account_key: "***" },
  status: "active",
  schedule: null,
  environment: "production",
  env_type: "",
  data_source_type: "",
  tags: [],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  last_tested_at: null,
  last_test_error: null,
};

describe("ConnectionDialog", () => {
  test("a stored secret is never shown, and left empty it is not sent (the server keeps it)", async () => {
    const calls = stubFetch({ "PUT /api/connections/4": (c) => ({ body: { ...stored, ...(c.body as object) } }) });
    const onSaved = vi.fn();
    renderWithProviders(<ConnectionDialog open connection={stored} onClose={() => {}} onSaved={onSaved} />);
    const secret = screen.getByLabelText(/Account key/, { selector: "input" }) as HTMLInputElement;
    expect(secret.type).toBe("password");
    expect(secret.value).toBe("");
    expect(screen.getByText("Stored encrypted; leave empty to keep it")).toBeTruthy();
    fireEvent.change(screen.getByRole("textbox", { name: /Schedule/ }), { target: { value: "30 1 * * 1" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const body = calls[0]?.body as { secrets: object; schedule: string; config: { options: object; account: string } };
    expect(calls[0]?.method).toBe("PUT");
    expect(body.secrets).toEqual({});
    expect(body.schedule).toBe("30 1 * * 1");
    // Options this form does not show survive an edit.
    expect(body.config.options).toEqual({ max_retries: "5" });
    expect(body.config.account).toBe("acct1");
  });

  test("a failed test shows the error per container", async () => {
    stubFetch({
      "POST /api/connections/test-config": () => ({
        body: { ok: false, results: [{ container: "raw", ok: false, error: "folder /data/raw does not exist; check root" }] },
      }),
    });
    renderWithProviders(<ConnectionDialog open connection={null} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.change(screen.getByRole("textbox", { name: /Name/ }), { target: { value: "lake" } });
    fireEvent.change(screen.getByRole("textbox", { name: /Root folder/ }), { target: { value: "/data" } });
    fireEvent.click(screen.getByRole("button", { name: "Test" }));
    expect(await screen.findByText("Connection test failed")).toBeTruthy();
    expect(screen.getByText(/folder \/data\/raw does not exist; check root/)).toBeTruthy();
  });

  test("the API's 400 on create is shown, naming the field", async () => {
    stubFetch({
      "POST /api/connections": () => ({ status: 400, body: { code: "invalid", message: "schedule: the minute field \"99\" is out of range (at most 59)", error_id: "e" } }),
    });
    renderWithProviders(<ConnectionDialog open connection={null} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.change(screen.getByRole("textbox", { name: /Name/ }), { target: { value: "lake" } });
    fireEvent.change(screen.getByRole("textbox", { name: /Root folder/ }), { target: { value: "/data" } });
    fireEvent.change(screen.getByRole("textbox", { name: /Schedule/ }), { target: { value: "99 * * * *" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    expect((await screen.findByRole("alert")).textContent).toContain("minute field \"99\" is out of range");
  });
});
