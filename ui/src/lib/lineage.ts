// Turns a lineage graph answer into the two lists the asset page shows: what feeds the
// asset (upstream) and what it feeds (downstream), nearest first, each with the edges that
// link it one hop towards the asset.

import type { LineageEdge, LineageGraph, LineageNode, LineageProcess } from "../api/types";

export interface LineageRow {
  node: LineageNode;
  /** Hops from the asset (1 = direct). */
  hops: number;
  /** Edges from this node towards the asset (upstream) or into it from the asset's side (downstream). */
  edges: LineageEdge[];
  /** Processes of those edges, by URN. */
  processes: LineageProcess[];
}

export interface LineageLists {
  upstream: LineageRow[];
  downstream: LineageRow[];
}

export function lineageLists(graph: LineageGraph): LineageLists {
  const processes = new Map(graph.processes.map((p) => [p.urn, p]));
  const row = (node: LineageNode, edges: LineageEdge[]): LineageRow => {
    const seen = new Set<string>();
    const procs: LineageProcess[] = [];
    for (const e of edges) {
      const p = e.process ? processes.get(e.process) : undefined;
      if (p && !seen.has(p.urn)) {
        seen.add(p.urn);
        procs.push(p);
      }
    }
    return { node, hops: Math.abs(node.depth), edges, processes: procs };
  };
  const byName = (a: LineageRow, b: LineageRow) => a.hops - b.hops || a.node.name.localeCompare(b.node.name);
  const upstream = graph.nodes
    .filter((n) => n.depth < 0)
    .map((n) => row(n, graph.edges.filter((e) => e.source === n.urn)))
    .sort(byName);
  const downstream = graph.nodes
    .filter((n) => n.depth > 0)
    .map((n) => row(n, graph.edges.filter((e) => e.target === n.urn)))
    .sort(byName);
  return { upstream, downstream };
}

/** `a → b` for a column mapping, with the transformation when it says something. */
export function mappingText(m: { source_column: string; target_column: string; transformation: string; expression?: string }): string {
  const how = m.expression ? ` (${m.expression})` : m.transformation && m.transformation !== "unknown" && m.transformation !== "pass_through" ? ` (${m.transformation.replace(/_/g, " ")})` : "";
  return `${m.source_column} → ${m.target_column}${how}`;
}
