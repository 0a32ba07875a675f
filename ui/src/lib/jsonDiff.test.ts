import { describe, expect, test } from "vitest";

import { jsonDiff } from "./jsonDiff";
import { auditParamsFromUrl, entityLink } from "../pages/Audit";
import { auditCsvUrl } from "../api/auth";

describe("audit before/after", () => {
  test("lists only the fields that changed, by dotted path", () => {
    const before = { description: null, tags: ["a"], owners: [], info: { approval_status: "pending", by: "x" } };
    const after = { description: "Orders", tags: ["a", "b"], owners: [], info: { approval_status: "approved", by: "x" } };
    expect(jsonDiff(before, after)).toEqual([
      { path: "description", before: null, after: "Orders" },
      { path: "tags", before: ["a"], after: ["a", "b"] },
      { path: "info.approval_status", before: "pending", after: "approved" },
    ]);
  });

  test("a created or deleted entity shows every field on one side", () => {
    expect(jsonDiff(null, { role: "viewer" })).toEqual([{ path: "role", before: undefined, after: "viewer" }]);
    expect(jsonDiff("pending", "approved")).toEqual([{ path: "", before: "pending", after: "approved" }]);
    expect(jsonDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe("audit filters", () => {
  test("the URL's filters become the API's, dates as whole days; the CSV link keeps them but not the page", () => {
    const params = auditParamsFromUrl(new URLSearchParams("actor=ada&since=2026-11-01&until=2026-11-23&page=2&size=50&bogus=1"));
    expect(params).toEqual({ actor: "ada", since: "2026-11-01T00:00:00Z", until: "2026-11-23T23:59:59.999Z", page: 2, size: 50 });
    expect(auditCsvUrl(params)).toBe("/api/audit?format=csv&actor=ada&since=2026-11-01T00%3A00%3A00Z&until=2026-11-23T23%3A59%3A59.999Z");
    expect(auditParamsFromUrl(new URLSearchParams("since=yesterday&size=7"))).toEqual({ size: 25 });
  });

  test("entities link to their page where one exists", () => {
    expect(entityLink({ entity_type: "discovery", entity_id: 4 })).toBe("/discoveries/4");
    expect(entityLink({ entity_type: "asset", entity_id: 9 })).toBe("/assets/db-9");
    expect(entityLink({ entity_type: "user", entity_id: 2 })).toBeNull();
  });
});
