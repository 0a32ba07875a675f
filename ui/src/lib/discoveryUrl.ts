// The discovery list's state lives in the URL (`/discoveries?search=orders&format=csv&page=2`)
// so a view can be bookmarked and shared. These turn the query string into API parameters
// and back; the names are the API's own.

import type { DiscoveryParams } from "../api/hooks";

export const FILTER_KEYS = ["status", "environment", "data_source_type", "format", "storage"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const SORT_FIELDS = ["last_changed", "first_seen", "last_seen", "name", "path", "size", "id"] as const;
export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 25;

export function paramsFromSearch(search: URLSearchParams): DiscoveryParams {
  const params: DiscoveryParams = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (value) params[key] = value;
  }
  const text = search.get("search");
  if (text) params.search = text;
  const sort = search.get("sort");
  if (sort && (SORT_FIELDS as readonly string[]).includes(sort)) params.sort = sort;
  const order = search.get("order");
  if (order === "asc" || order === "desc") params.order = order;
  const page = Number(search.get("page"));
  params.page = Number.isInteger(page) && page > 0 ? page : 0;
  const size = Number(search.get("size"));
  params.size = (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE;
  if (search.get("include_deleted") === "true") params.include_deleted = true;
  return params;
}

/** The query string for these parameters, leaving out defaults so URLs stay short. */
export function searchFromParams(params: DiscoveryParams): URLSearchParams {
  const out = new URLSearchParams();
  const put = (key: string, value: string | number | boolean | undefined) => {
    if (value === undefined || value === "" || value === false) return;
    out.set(key, String(value));
  };
  put("search", params.search);
  for (const key of FILTER_KEYS) put(key, params[key]);
  put("sort", params.sort);
  put("order", params.order);
  if (params.page) put("page", params.page);
  if (params.size && params.size !== DEFAULT_PAGE_SIZE) put("size", params.size);
  put("include_deleted", params.include_deleted);
  return out;
}

export function discoveriesHref(params: DiscoveryParams): string {
  const text = searchFromParams(params).toString();
  return text ? `/discoveries?${text}` : "/discoveries";
}
