// TanStack Query hooks, one per API call. Query keys start with the resource name so a
// mutation can refresh everything it touches with one `invalidateQueries`.
//
// Live data polls: every 5 s while a scan runs, 30 s otherwise. When the server gains an
// event stream (`GET /api/events`), `useLiveInterval` is the one place to swap for it.

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { del, get, post, put, withQuery, type QueryValue } from "./client";
import type {
  ApproveRequest,
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
  ScanList,
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
};

/** Poll fast while something runs, slowly otherwise. */
export function liveInterval(running: boolean): number {
  return running ? FAST_POLL_MS : SLOW_POLL_MS;
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
    refetchInterval: (query) => liveInterval(query.state.data?.scans.some((s) => s.status === "running") ?? false),
  });
}

export function useScan(id: number) {
  return useQuery({
    queryKey: keys.scan(id),
    queryFn: ({ signal }) => get<ScanDetail>(`/api/scans/${id}`, signal),
    refetchInterval: (query) => liveInterval(query.state.data?.status === "running"),
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
