// Sample API answers for the asset and lineage tests.

import type { Asset, LineageGraph } from "../api/types";

export function sampleAsset(over: Partial<Asset> = {}): Asset {
  return {
    id: "db-1",
    type: "view",
    name: "big_orders",
    catalog: "shop",
    schema: "main",
    qualified_name: "shop.main.big_orders",
    urn: "sqlite:///tmp/shop.db/main.big_orders",
    connector_id: 3,
    source_name: "shop",
    discovered_at: "2026-01-01T00:00:00Z",
    last_seen: "2026-01-02T00:00:00Z",
    last_changed: "2026-01-02T00:00:00Z",
    deleted: false,
    technical_metadata: { primary_key: ["id"], row_estimate: 12 },
    operational_metadata: {},
    business_metadata: { description: null, tags: ["sales"], owners: [], glossary_terms: [] },
    source_comment: null,
    columns: [
      { name: "id", ordinal: 1, type: "INTEGER", nullable: false, default: null, comment: null, is_pk: true },
      { name: "amount", ordinal: 2, type: "REAL", nullable: true, default: "0", comment: "in euros", is_pk: false },
    ],
    definition: { language: "sqlite", text: "CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100" },
    schema_hash: "abc",
    ...over,
  };
}

export const sampleGraph: LineageGraph = {
  root: "sqlite:///tmp/shop.db/main.big_orders",
  nodes: [
    { urn: "sqlite:///tmp/shop.db/main.big_orders", namespace: "sqlite:///tmp/shop.db", name: "main.big_orders", depth: 0, discovery_id: null, dataset_id: null },
    { urn: "sqlite:///tmp/shop.db/main.orders", namespace: "sqlite:///tmp/shop.db", name: "main.orders", depth: -1, discovery_id: null, dataset_id: null },
    { urn: "file://h/lake/raw/orders.csv", namespace: "file://h", name: "lake/raw/orders.csv", depth: -2, discovery_id: 7, dataset_id: null },
    { urn: "sqlite:///tmp/shop.db/main.report", namespace: "sqlite:///tmp/shop.db", name: "main.report", depth: 1, discovery_id: null, dataset_id: null },
  ],
  edges: [
    {
      id: 1,
      source: "sqlite:///tmp/shop.db/main.orders",
      target: "sqlite:///tmp/shop.db/main.big_orders",
      process: "sqlite:///tmp/shop.db/view/main.big_orders",
      relationship: "derives",
      origin: "sql",
      confidence: 1,
      metadata: null,
      columns: [
        { source_column: "id", target_column: "id", transformation: "pass_through" },
        { source_column: "amount", target_column: "amount", transformation: "filter_only" },
      ],
      valid_from: "2026-01-01T00:00:00Z",
      valid_to: null,
    },
    {
      id: 2,
      source: "file://h/lake/raw/orders.csv",
      target: "sqlite:///tmp/shop.db/main.orders",
      process: null,
      relationship: "feeds",
      origin: "manual",
      confidence: 0.5,
      metadata: null,
      columns: [],
      valid_from: "2026-01-01T00:00:00Z",
      valid_to: null,
    },
    {
      id: 3,
      source: "sqlite:///tmp/shop.db/main.big_orders",
      target: "sqlite:///tmp/shop.db/main.report",
      process: null,
      relationship: "derives",
      origin: "sql",
      confidence: 1,
      metadata: null,
      columns: [{ source_column: "amount", target_column: "total", transformation: "aggregation", expression: "SUM(amount)" }],
      valid_from: "2026-01-01T00:00:00Z",
      valid_to: null,
    },
  ],
  processes: [
    {
      id: 1,
      urn: "sqlite:///tmp/shop.db/view/main.big_orders",
      namespace: "sqlite:///tmp/shop.db",
      name: "main.big_orders",
      process_type: "view",
      source_system: "sqlite",
      definition: null,
      description: null,
    },
  ],
  truncated: false,
};
