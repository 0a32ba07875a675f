import { describe, expect, test } from "vitest";
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";

import { stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { CancelScanButton } from "./CancelScanButton";

// The machine is shared with builds: wait longer than the default second.
configure({ asyncUtilTimeout: 5000 });

describe("cancel a scan", () => {
  test("asks first, then posts the cancel route", async () => {
    const calls = stubFetch({ "POST /api/scans/4/cancel": () => ({ status: 202, body: { id: 4, status: "cancelled" } }) });
    renderWithProviders(<CancelScanButton scanId={4} />);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel scan" }));
    const dialog = await screen.findByRole("dialog", { name: "Cancel scan 4?" });
    expect(calls).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel scan" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["POST /api/scans/4/cancel"]);
  });

  test("shows the API's 409 when the scan cannot be cancelled", async () => {
    stubFetch({
      "POST /api/scans/5/cancel": () => ({ status: 409, body: { code: "conflict", message: "scan run 5 was started by the command line", error_id: "x" } }),
    });
    renderWithProviders(<CancelScanButton scanId={5} compact />);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel scan 5" }));
    const dialog = await screen.findByRole("dialog");
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel scan" }));
    expect(await within(dialog).findByText("scan run 5 was started by the command line")).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "Close" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });
});
