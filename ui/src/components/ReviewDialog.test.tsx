import { describe, expect, test, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";

import { meAs, stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { ReviewDialog } from "./ReviewDialog";

const detail = (id: number, status: string) => ({ body: { id, discovery_info: { approval_status: status } } });

function fill(label: RegExp, value: string) {
  fireEvent.change(screen.getByRole("textbox", { name: label }), { target: { value } });
}

describe("ReviewDialog", () => {
  test("approve names the signed-in reviewer and sends only the comment", async () => {
    const calls = stubFetch({
      "GET /api/auth/me": () => ({ body: meAs("steward", "ada") }),
      "PUT /api/discovery/7/approve": () => detail(7, "approved"),
    });
    const onDone = vi.fn();
    const onClose = vi.fn();
    renderWithProviders(<ReviewDialog open kind="approve" ids={[7]} name="orders.csv" onClose={onClose} onDone={onDone} />);
    expect(screen.getByRole("heading", { name: "Approve orders.csv" })).toBeTruthy();
    const who = await screen.findByText(/recorded in the audit trail/);
    expect(who.textContent).toBe("as ada (steward), recorded in the audit trail");
    expect(screen.queryByRole("textbox", { name: /Your name/ })).toBeNull();
    expect(screen.queryByRole("textbox", { name: /Role/ })).toBeNull();
    fill(/Comments/, "fine");
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith([7]));
    expect(onClose).toHaveBeenCalled();
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([["PUT", "/api/discovery/7/approve", { comments: "fine" }]]);
    expect(calls[0]?.headers["x-csrf-token"]).toBe("csrf-1");
  });

  test("reject needs a reason before it calls the API, and sends no reviewer", async () => {
    const calls = stubFetch({ "PUT /api/discovery/3/reject": () => detail(3, "rejected") });
    const onDone = vi.fn();
    renderWithProviders(<ReviewDialog open kind="reject" ids={[3]} onClose={() => {}} onDone={onDone} />);
    expect((await screen.findByText(/recorded in the audit trail/)).textContent).toContain("as admin (admin)");
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(await screen.findByText(/Say why, so the owner can fix it/)).toBeTruthy();
    expect(calls).toHaveLength(0);
    fill(/Rejection reason/, "has PII");
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith([3]));
    expect(calls[0]?.body).toEqual({ rejection_reason: "has PII" });
  });

  test("a 409 shows the API's message and keeps the dialog open; the rest go through", async () => {
    stubFetch({
      "PUT /api/discovery/1/approve": () => ({
        status: 409,
        body: { code: "conflict", message: "discovery 1: cannot go from approved to approved", error_id: "e1" },
      }),
      "PUT /api/discovery/2/approve": () => detail(2, "approved"),
    });
    const onDone = vi.fn();
    const onClose = vi.fn();
    renderWithProviders(<ReviewDialog open kind="approve" ids={[1, 2]} onClose={onClose} onDone={onDone} />);
    expect(screen.getByRole("heading", { name: "Approve 2 discoveries" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("#1: discovery 1: cannot go from approved to approved");
    expect(onDone).toHaveBeenCalledWith([2]);
    expect(onClose).not.toHaveBeenCalled();
  });
});
