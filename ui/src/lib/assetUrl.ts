// The asset list's state lives in the URL (`/assets?type=view&search=orders&page=2`), like
// the discovery list's. Names are the API's own; defaults are left out.

import type { AssetParams } from "../api/hooks";

export const ASSET_TYPES = ["table", "view", "materialized_view", "procedure", "function", "trigger", "file", "dataset"] as const;
export const ASSET_PAGE_SIZE = 25;

export function assetParamsFromSearch(search: URLSearchParams): AssetParams {
  const params: AssetParams = { size: ASSET_PAGE_SIZE };
  const type = search.get("type");
  if (type && (ASSET_TYPES as readonly string[]).includes(type)) params.type = type;
  const text = search.get("search")?.trim();
  if (text) params.search = text.slice(0, 200);
  const connector = Number(search.get("connector"));
  if (Number.isInteger(connector) && connector > 0) params.connector = connector;
  const page = Number(search.get("page"));
  params.page = Number.isInteger(page) && page > 0 ? page : 0;
  if (search.get("include_deleted") === "true") params.include_deleted = true;
  return params;
}

export function searchFromAssetParams(params: AssetParams): URLSearchParams {
  const out = new URLSearchParams();
  if (params.search) out.set("search", params.search);
  if (params.type) out.set("type", params.type);
  if (params.connector) out.set("connector", String(params.connector));
  if (params.page) out.set("page", String(params.page));
  if (params.include_deleted) out.set("include_deleted", "true");
  return out;
}

/** `db-12`, `file-3`, `dataset-7`: the ids `/api/assets/{id}` takes. */
export function isAssetId(id: string | undefined): id is string {
  return !!id && /^(db|file|dataset)-[1-9]\d*$/.test(id);
}

/** Where a lineage node lives in the UI: its file or dataset asset, when the catalog has it. */
export function nodeAssetId(node: { discovery_id: number | null; dataset_id: number | null }): string | null {
  if (node.discovery_id !== null) return `file-${node.discovery_id}`;
  if (node.dataset_id !== null) return `dataset-${node.dataset_id}`;
  return null;
}
