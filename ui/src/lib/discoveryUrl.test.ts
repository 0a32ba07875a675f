import { describe, expect, test } from "vitest";

import { discoveriesHref, paramsFromSearch, searchFromParams } from "./discoveryUrl";

describe("discovery list state in the URL", () => {
  test("a shared URL gives back the same view", () => {
    const url = new URLSearchParams("search=orders&format=csv&status=pending&storage=s3&sort=size&order=asc&page=2&size=100");
    const params = paramsFromSearch(url);
    expect(params).toEqual({
      search: "orders",
      format: "csv",
      status: "pending",
      storage: "s3",
      sort: "size",
      order: "asc",
      page: 2,
      size: 100,
    });
    expect(paramsFromSearch(searchFromParams(params))).toEqual(params);
  });

  test("defaults stay out of the URL and bad values fall back to them", () => {
    expect(searchFromParams({ page: 0, size: 25 }).toString()).toBe("");
    const params = paramsFromSearch(new URLSearchParams("page=-3&size=7&sort=nonsense&order=sideways"));
    expect(params).toEqual({ page: 0, size: 25 });
  });

  test("links to a filtered list", () => {
    expect(discoveriesHref({ environment: "prod env" })).toBe("/discoveries?environment=prod+env");
    expect(discoveriesHref({})).toBe("/discoveries");
  });
});
