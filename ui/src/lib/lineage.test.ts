import { describe, expect, test } from "vitest";

import { sampleGraph } from "../test/assets";
import { assetParamsFromSearch, isAssetId, nodeAssetId, searchFromAssetParams } from "./assetUrl";
import { lineageLists, mappingText } from "./lineage";

describe("lineage lists", () => {
  test("split nodes into upstream and downstream, nearest first, with the edges towards the asset", () => {
    const { upstream, downstream } = lineageLists(sampleGraph);
    expect(upstream.map((r) => [r.node.name, r.hops])).toEqual([
      ["main.orders", 1],
      ["lake/raw/orders.csv", 2],
    ]);
    expect(upstream[0]?.edges.map((e) => e.id)).toEqual([1]);
    expect(upstream[0]?.processes.map((p) => p.process_type)).toEqual(["view"]);
    expect(upstream[1]?.edges.map((e) => e.id)).toEqual([2]);
    expect(downstream.map((r) => r.node.name)).toEqual(["main.report"]);
    expect(downstream[0]?.edges.map((e) => e.id)).toEqual([3]);
  });

  test("a graph of the asset alone has empty lists", () => {
    expect(lineageLists({ ...sampleGraph, nodes: sampleGraph.nodes.slice(0, 1), edges: [] })).toEqual({ upstream: [], downstream: [] });
  });

  test("column mappings read as a → b with what the transformation does", () => {
    expect(mappingText({ source_column: "id", target_column: "id", transformation: "pass_through" })).toBe("id → id");
    expect(mappingText({ source_column: "a", target_column: "b", transformation: "filter_only" })).toBe("a → b (filter only)");
    expect(mappingText({ source_column: "a", target_column: "t", transformation: "aggregation", expression: "SUM(a)" })).toBe("a → t (SUM(a))");
  });

  test("nodes link to the file or dataset asset the catalog knows", () => {
    expect(nodeAssetId({ discovery_id: 7, dataset_id: null })).toBe("file-7");
    expect(nodeAssetId({ discovery_id: null, dataset_id: 2 })).toBe("dataset-2");
    expect(nodeAssetId({ discovery_id: null, dataset_id: null })).toBeNull();
  });
});

describe("asset list URL", () => {
  test("round-trips filters and leaves defaults out", () => {
    const params = assetParamsFromSearch(new URLSearchParams("type=view&search=%20orders%20&connector=3&page=2&bogus=1"));
    expect(params).toEqual({ size: 25, type: "view", search: "orders", connector: 3, page: 2 });
    expect(searchFromAssetParams(params).toString()).toBe("search=orders&type=view&connector=3&page=2");
    expect(searchFromAssetParams(assetParamsFromSearch(new URLSearchParams("type=nope&page=-1&connector=x"))).toString()).toBe("");
  });

  test("asset ids are db-, file- or dataset- with a positive number", () => {
    expect(["db-12", "file-3", "dataset-7"].every(isAssetId)).toBe(true);
    expect(["db-0", "x-1", "12", "db-", undefined].some(isAssetId)).toBe(false);
  });
});
