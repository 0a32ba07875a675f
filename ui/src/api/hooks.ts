// TanStack Query hooks, one per API call. Query keys start with the resource name so a
// mutation can refresh everything it touches with one `invalidateQueries`.
//
// Live data: `useLiveEvents` (mounted once in App) listens to `GET /api/events` and
// refreshes the scan and discovery queries an event touches. While that stream is open,
// polling drops to a slow safety net; when it errors, `liveInterval` polls again: every
// 5 s while a scan runs, 30 s otherwise.

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useEffect } from "react";

import { ApiError, del, get, patch, post, put, withQuery, type QueryValue } from "./client";
import type {
  ApproveRequest,
  Asset,
  AssetList,
  AssetPatch,
  AssetSchemaVersion,
  LineageGraph,
  AuditLog,
  Connection,
  ConnectionList,
  ConnectionRequest,
  ConnectionTest,
  Dataset,
  DatasetList,
  DiscoveryDetail,
  DiscoveryList,
  RejectRequest,
  ScanDetail,
  ScanErrorList,
  ScanEvent,
  ScanList,
  ScanRun,
  SchemaHistory,
  Stats,
  TriggerResponse,
  WorkflowRequest,
} from "./types";

export const FAST_POLL_MS = 5_000;
export const SLOW_POLL_MS = 30_000;

/** Parameters of `GET /api/discovery`. */
export interface DiscoveryParams {
  page?: number;
  size?: number;
  status?: string;
  approval_status?: string;
  environment?: string;
  data_source_type?: string;
  format?: string;
  storage?: string;
  search?: string;
  sort?: string;
  order?: "asc" | "desc";
  include_deleted?: boolean;
}

const asQuery = (p: object) => p as Record<string, QueryValue>;

export const keys = {
  discoveries: ["discoveries"] as const,
  discoveryList: (p: DiscoveryParams) => ["discoveries", "list", p] as const,
  discovery: (id: number) => ["discoveries", "detail", id] as const,
  schemaHistory: (id: number) => ["discoveries", "schema-history", id] as const,
  audit: (id: number) => ["discoveries", "audit", id] as const,
  stats: ["stats"] as const,
  scans: ["scans"] as const,
  scanList: (page: number, size: number) => ["scans", "list", page, size] as const,
  scan: (id: number) => ["scans", "detail", id] as const,
  scanErrors: (id: number, page: number) => ["scans", "errors", id, page] as const,
  connections: ["connections"] as const,
  connection: (id: number) => ["connections", "detail", id] as const,
  datasets: ["datasets"] as const,
  datasetList: (page: number, search: string) => ["datasets", "list", page, search] as const,
  dataset: (id: number) => ["datasets", "detail", id] as const,
  datasetFiles: (id: number, page: number) => ["datasets", "files", id, page] as const,
  assets: ["assets"] as const,
  assetList: (p: AssetParams) => ["assets", "list", p] as const,
  asset: (id: string) => ["assets", "detail", id] as const,
  assetHistory: (id: string) => ["assets", "schema-history", id] as const,
  assetByUrn: (urn: string) => ["assets", "by-urn", urn] as const,
  lineage: ["lineage"] as const,
  lineageGraph: (p: LineageParams) => ["lineage", "graph", p] as const,
};

/** While the event stream is open, a slow poll is only a safety net. */
export const STREAM_POLL_MS = 60_000;

let streamOpen = false;

/** Whether `GET /api/events` is connected (then events, not polling, keep data fresh). */
export function liveStreamOpen(): boolean {
  return streamOpen;
}

/** Poll fast while something runs, slowly otherwise; barely at all while events stream in. */
export function liveInterval(running: boolean): number {
  if (streamOpen) return STREAM_POLL_MS;
  return running ? FAST_POLL_MS : SLOW_POLL_MS;
}

/** Scans that may still change: queued or running. */
export function isActiveScan(status: string): boolean {
  return status === "queued" || status === "running";
}

/** The queries one server event makes stale. */
export function keysForEvent(event: ScanEvent): (readonly unknown[])[] {
  switch (event.type) {
    case "scan_progress":
      return [keys.scan(event.scan_id), ["scans", "list"]];
    case "discovered":
      return [keys.discoveries, keys.stats];
    case "scan_finished":
      return [keys.scans, keys.discoveries, keys.stats, keys.datasets, keys.assets, keys.lineage];
    default:
      return [keys.scans];
  }
}

const EVENT_NAMES = ["scan_queued", "scan_started", "scan_progress", "scan_finished", "discovered"] as const;

/**
 * Listens to `GET /api/events` and refreshes what each event touches, at most once a
 * second per query. The browser reconnects a dropped stream by itself; meanwhile
 * `liveInterval` polls.
 */
export function useLiveEvents() {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const source = new EventSource("/api/events");
    const stale = new Map<string, readonly unknown[]>();
    let timer: number | null = null;
    const flush = () => {
      timer = null;
      for (const key of stale.values()) void client.invalidateQueries({ queryKey: key });
      stale.clear();
    };
    const onEvent = (message: MessageEvent<string>) => {
      let event: ScanEvent;
      try {
        event = JSON.parse(message.data) as ScanEvent;
      } catch {
        return;
      }
      for (const key of keysForEvent(event)) stale.set(JSON.stringify(key), key);
      timer ??= window.setTimeout(flush, event.type === "scan_progress" || event.type === "discovered" ? 1000 : 100);
    };
    source.onopen = () => {
      streamOpen = true;
    };
    source.onerror = () => {
      streamOpen = false;
    };
    for (const name of EVENT_NAMES) source.addEventListener(name, onEvent as EventListener);
    return () => {
      streamOpen = false;
      if (timer !== null) window.clearTimeout(timer);
      source.close();
    };
  }, [client]);
}

// ---- discoveries -------------------------------------------------------------------

export function useDiscoveries(params: DiscoveryParams) {
  return useQuery({
    queryKey: keys.discoveryList(params),
    queryFn: ({ signal }) => get<DiscoveryList>(withQuery("/api/discovery", asQuery(params)), signal),
    placeholderData: keepPreviousData,
    refetchInterval: SLOW_POLL_MS,
  });
}

export function useDiscovery(id: number) {
  return useQuery({
    queryKey: keys.discovery(id),
    queryFn: ({ signal }) => get<DiscoveryDetail>(`/api/discovery/${id}`, signal),
  });
}

export function useSchemaHistory(id: number) {
  return useQuery({
    queryKey: keys.schemaHistory(id),
    queryFn: ({ signal }) => get<SchemaHistory>(`/api/discovery/${id}/schema-history`, signal),
  });
}

export function useAudit(id: number) {
  return useQuery({
    queryKey: keys.audit(id),
    queryFn: ({ signal }) => get<AuditLog>(`/api/discovery/${id}/audit`, signal),
  });
}

export function useStats() {
  return useQuery({
    queryKey: keys.stats,
    queryFn: ({ signal }) => get<Stats>("/api/discovery/stats", signal),
    refetchInterval: SLOW_POLL_MS,
  });
}

export type ReviewAction =
  | { kind: "approve"; body: ApproveRequest }
  | { kind: "reject"; body: RejectRequest }
  | { kind: "publish"; body: WorkflowRequest }
  | { kind: "archive"; body: WorkflowRequest };

/** Approve, reject, publish or archive one discovery; refreshes lists, detail, audit and stats. */
export function useReview() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: ReviewAction }) =>
      put<DiscoveryDetail>(`/api/discovery/${id}/${action.kind}`, action.body),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.discoveries });
      void client.invalidateQueries({ queryKey: keys.stats });
    },
  });
}

// ---- scans -------------------------------------------------------------------------

export function useScans(page = 0, size = 20) {
  return useQuery({
    queryKey: keys.scanList(page, size),
    queryFn: ({ signal }) => get<ScanList>(withQuery("/api/scans", { page, size }), signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => liveInterval(query.state.data?.scans.some((s) => isActiveScan(s.status)) ?? false),
  });
}

export function useScan(id: number) {
  return useQuery({
    queryKey: keys.scan(id),
    queryFn: ({ signal }) => get<ScanDetail>(`/api/scans/${id}`, signal),
    refetchInterval: (query) => liveInterval(isActiveScan(query.state.data?.status ?? "")),
  });
}

export function useScanErrors(id: number, page: number, enabled: boolean) {
  return useQuery({
    queryKey: keys.scanErrors(id, page),
    queryFn: ({ signal }) => get<ScanErrorList>(withQuery(`/api/scans/${id}/errors`, { page, size: 50 }), signal),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** Everything a new scan can change. */
function invalidateAfterScan(client: ReturnType<typeof useQueryClient>) {
  void client.invalidateQueries({ queryKey: keys.scans });
  void client.invalidateQueries({ queryKey: keys.stats });
  void client.invalidateQueries({ queryKey: keys.discoveries });
}

/** `POST /api/discovery/trigger`: scan every configured source. */
export function useTriggerScan() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => post<TriggerResponse>("/api/discovery/trigger"),
    onSuccess: () => invalidateAfterScan(client),
  });
}

/** `POST /api/scans/{id}/cancel`: stops a queued or running scan (409 when it cannot). */
export function useCancelScan() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => post<ScanRun>(`/api/scans/${id}/cancel`),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.scans }),
  });
}

// ---- connections -------------------------------------------------------------------

export function useConnections() {
  return useQuery({
    queryKey: keys.connections,
    queryFn: ({ signal }) => get<ConnectionList>("/api/connections", signal),
  });
}

export function useSaveConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: ConnectionRequest }) =>
      id === null ? post<Connection>("/api/connections", body) : put<Connection>(`/api/connections/${id}`, body),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.connections }),
  });
}

export function useDeleteConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => del<void>(`/api/connections/${id}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.connections }),
  });
}

/** Tests unsaved settings (`test-config`) or a stored connection (`{id}/test`). */
export function useTestConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (target: { id: number } | { body: ConnectionRequest }) =>
      "id" in target
        ? post<ConnectionTest>(`/api/connections/${target.id}/test`)
        : post<ConnectionTest>("/api/connections/test-config", target.body),
    onSuccess: (_data, target) => {
      if ("id" in target) void client.invalidateQueries({ queryKey: keys.connections });
    },
  });
}

export function useScanConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => post<TriggerResponse>(`/api/connections/${id}/scan`),
    onSuccess: () => invalidateAfterScan(client),
  });
}

// ---- datasets ----------------------------------------------------------------------

export function useDatasets(page: number, search: string) {
  return useQuery({
    queryKey: keys.datasetList(page, search),
    queryFn: ({ signal }) => get<DatasetList>(withQuery("/api/datasets", { page, size: 25, search }), signal),
    placeholderData: keepPreviousData,
  });
}

export function useDataset(id: number) {
  return useQuery({
    queryKey: keys.dataset(id),
    queryFn: ({ signal }) => get<Dataset>(`/api/datasets/${id}`, signal),
  });
}

export function useDatasetFiles(id: number, page: number) {
  return useQuery({
    queryKey: keys.datasetFiles(id, page),
    queryFn: ({ signal }) => get<DiscoveryList>(withQuery(`/api/datasets/${id}/files`, { page, size: 25 }), signal),
    placeholderData: keepPreviousData,
  });
}

// ---- assets ------------------------------------------------------------------------

/** Parameters of `GET /api/assets`. */
export interface AssetParams {
  page?: number;
  size?: number;
  connector?: number;
  catalog?: string;
  schema?: string;
  type?: string;
  search?: string;
  include_deleted?: boolean;
}

export function useAssets(params: AssetParams) {
  return useQuery({
    queryKey: keys.assetList(params),
    queryFn: ({ signal }) => get<AssetList>(withQuery("/api/assets", asQuery(params)), signal),
    placeholderData: keepPreviousData,
  });
}

export function useAsset(id: string) {
  return useQuery({
    queryKey: keys.asset(id),
    queryFn: ({ signal }) => get<Asset>(`/api/assets/${encodeURIComponent(id)}`, signal),
  });
}

export function useAssetSchemaHistory(id: string) {
  return useQuery({
    queryKey: keys.assetHistory(id),
    queryFn: ({ signal }) => get<AssetSchemaVersion[]>(`/api/assets/${encodeURIComponent(id)}/schema-history`, signal),
  });
}

/** The catalog asset with this URN, looked up by its name (null when none). */
export function useAssetByUrn(urn: string, name: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.assetByUrn(urn),
    queryFn: async ({ signal }) => {
      const words = name.split(/[./]/).filter(Boolean).pop() ?? name;
      const list = await get<AssetList>(withQuery("/api/assets", { search: words, size: 100 }), signal);
      return list.assets.find((a) => a.urn === urn) ?? null;
    },
    enabled,
    staleTime: 60_000,
  });
}

/** `PATCH /api/assets/{id}`: business metadata; refreshes the asset and the lists. */
export function usePatchAsset() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: AssetPatch }) => patch<Asset>(`/api/assets/${encodeURIComponent(id)}`, body),
    onSuccess: (asset) => {
      client.setQueryData(keys.asset(asset.id), asset);
      void client.invalidateQueries({ queryKey: keys.assets });
    },
  });
}

// ---- lineage -----------------------------------------------------------------------

/** Parameters of `GET /api/lineage/graph`. */
export interface LineageParams {
  urn: string;
  direction?: "upstream" | "downstream" | "both";
  depth?: number;
  /** YYYY-MM-DD; empty: now. */
  as_of?: string;
  column?: string;
}

/** The graph around a URN; a URN without lineage (404) is an empty graph. */
export function useLineage(params: LineageParams) {
  return useQuery({
    queryKey: keys.lineageGraph(params),
    queryFn: async ({ signal }) => {
      try {
        return await get<LineageGraph>(withQuery("/api/lineage/graph", asQuery(params)), signal);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          return { root: params.urn, nodes: [], edges: [], processes: [], truncated: false } satisfies LineageGraph;
        }
        throw e;
      }
    },
    placeholderData: keepPreviousData,
  });
}
