import { describe, expect, test } from "vitest";

import { formatAgo, formatBytes, formatDuration, humanize, valueLabel } from "./format";

describe("formatting for people", () => {
  test("sizes in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 * 1024 * 1024)).toBe("5.0 GiB");
    expect(formatBytes(null)).toBe("—");
  });

  test("relative times", () => {
    const now = Date.parse("2026-01-10T12:00:00Z");
    expect(formatAgo("2026-01-10T11:59:50Z", now)).toBe("just now");
    expect(formatAgo("2026-01-10T11:55:00Z", now)).toBe("5 min ago");
    expect(formatAgo("2026-01-10T09:00:00Z", now)).toBe("3 h ago");
    expect(formatAgo("2026-01-08T12:00:00Z", now)).toBe("2 d ago");
    expect(formatAgo("not a date", now)).toBe("not a date");
  });

  test("durations and labels", () => {
    expect(formatDuration(250)).toBe("250 ms");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(humanize("azure_blob")).toBe("Azure blob");
    expect(humanize("")).toBe("(none)");
    expect(valueLabel("format", "ndjson")).toBe("NDJSON");
    expect(valueLabel("storage", "azure_blob")).toBe("Azure Blob");
    expect(valueLabel("status", "pending")).toBe("Pending");
  });
});
