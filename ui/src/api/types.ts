// Shapes of Torro's REST API (see docs/api.md and /api/openapi.json).

export type Counts = Record<string, number>;

export interface Pagination {
  page: number;
  size: number;
  total: number;
  total_pages: number;
}

export interface PartitionValue {
  column: string;
  value: string;
}

export interface DiscoverySummary {
  id: number;
  urn: string;
  storage_type: string;
  account: string;
  container: string;
  path: string;
  folder: string;
  name: string;
  extension: string;
  format: string | null;
  size: number;
  etag: string | null;
  last_modified: string | null;
  row_count: number | null;
  column_count: number | null;
  schema_hash: string | null;
  status: string;
  approval_status: string;
  environment: string;
  env_type: string;
  data_source_type: string;
  tags: string[];
  source_name: string;
  first_seen: string;
  last_seen: string;
  last_changed: string;
  deleted: boolean;
  error: string | null;
  dataset_id: number | null;
  partition_values: PartitionValue[] | null;
}

export interface Facets {
  storage_type: Counts;
  account: Counts;
  container: Counts;
  format: Counts;
  environment: Counts;
  data_source_type: Counts;
  status: Counts;
  approval_status: Counts;
}

export interface DiscoveryList {
  discoveries: DiscoverySummary[];
  pagination: Pagination;
  facets: Facets;
}

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
  description?: string;
}

export interface SchemaBody {
  fields: Column[];
}

export interface DiscoveryDetail {
  id: number;
  urn: string;
  storage_location: {
    storage_type: string;
    account: string;
    container: string;
    path: string;
    folder: string;
    name: string;
    extension: string;
  };
  file_metadata: {
    format: string | null;
    size: number;
    etag: string | null;
    last_modified: string | null;
    row_count: number | null;
    column_count: number | null;
    fingerprint: string;
  };
  schema_json: SchemaBody | null;
  storage_metadata: Record<string, unknown>;
  discovery_info: {
    status: string;
    approval_status: string;
    environment: string;
    env_type: string;
    data_source_type: string;
    tags: string[];
    source_name: string;
    first_seen: string;
    last_seen: string;
    last_changed: string;
    deleted: boolean;
    deleted_at: string | null;
    last_scan_id: number | null;
    error: string | null;
  };
  dataset_id: number | null;
  partition_values: PartitionValue[] | null;
}

export interface SchemaDiff {
  added: Column[];
  removed: Column[];
  type_changed: { name: string; from: string; to: string }[];
  nullability_changed: { name: string; from: boolean; to: boolean }[];
  reordered: boolean;
}

export interface SchemaVersion {
  version: number;
  schema_hash: string;
  seen_at: string;
  scan_id: number | null;
  schema: SchemaBody;
  diff: SchemaDiff | null;
  summary: string;
}

export interface SchemaHistory {
  discovery_id: number;
  versions: SchemaVersion[];
}

export interface AuditEntry {
  id: number;
  entity_type: string;
  entity_id: number;
  action: string;
  actor: string;
  role: string | null;
  /** Where the change came from; absent in entries written before issue 8. */
  source_ip?: string | null;
  at: string;
  before: unknown;
  after: unknown;
  comment: string | null;
}

export interface AuditLog {
  discovery_id: number;
  entries: AuditEntry[];
}

export interface Stats {
  total: number;
  deleted: number;
  by_status: Counts;
  by_approval_status: Counts;
  by_environment: Counts;
  by_data_source: Counts;
  by_format: Counts;
  by_storage_type: Counts;
  total_size_bytes: number;
}

export interface ScanCounts {
  listed: number;
  new: number;
  changed: number;
  unchanged: number;
  deleted: number;
  failed: number;
  bytes_read: number;
  requests: number;
}

export interface ScanRun {
  id: number;
  trigger: string;
  target: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  counts: ScanCounts;
  message: string | null;
  error_count: number;
}

export interface ScanError {
  id: number;
  scan_id: number;
  path: string;
  kind: string;
  message: string;
  at: string;
}

export interface ScanList {
  scans: ScanRun[];
  pagination: Pagination;
}

export interface ScanDetail extends ScanRun {
  errors: ScanError[];
  errors_pagination: Pagination;
}

export interface ScanErrorList {
  scan_id: number;
  errors: ScanError[];
  pagination: Pagination;
}

export interface TriggerResponse {
  scan_id: number;
  status: string;
  started_at: string;
}

export interface ConnectionConfig {
  account?: string | null;
  root?: string | null;
  containers: string[];
  folders: string[];
  file_extensions: string[];
  endpoint?: string | null;
  region?: string | null;
  options: Record<string, string>;
}

export interface Connection {
  id: number;
  name: string;
  connector_type: string;
  connection_type: string;
  config: ConnectionConfig;
  /** Stored secret names; the value is always "***". */
  secrets: Record<string, string>;
  status: string;
  schedule: string | null;
  environment: string;
  env_type: string;
  data_source_type: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  last_tested_at: string | null;
  last_test_error: string | null;
}

export interface ConnectionList {
  connections: Connection[];
}

/** Body of POST/PUT /api/connections and POST /api/connections/test-config. */
export interface ConnectionRequest {
  name: string;
  connector_type: string;
  connection_type?: string;
  config: ConnectionConfig;
  /** Write-only. On PUT, a secret left out keeps its stored value. */
  secrets: Record<string, string>;
  status?: string;
  schedule?: string | null;
  environment: string;
  env_type: string;
  data_source_type: string;
  tags: string[];
}

export interface ConnectionTest {
  ok: boolean;
  results: { container: string; ok: boolean; error: string | null }[];
}

export interface Dataset {
  id: number;
  urn: string;
  storage_type: string;
  account: string;
  container: string;
  path: string;
  partition_columns: string[];
  file_count: number;
  deleted_file_count: number;
  total_size: number;
  formats: string[];
  partition_count: number;
  schema: SchemaBody | null;
  schema_hash: string | null;
  distinct_schema_count: number;
  first_seen: string;
  last_changed: string;
}

export interface DatasetList {
  datasets: Dataset[];
  pagination: Pagination;
}

// The reviewer is the signed-in user; the server fills in who and their role.
export interface ApproveRequest {
  comments?: string;
}

export interface RejectRequest {
  rejection_reason: string;
  comments?: string;
}

export interface WorkflowRequest {
  comments?: string;
}

// ---- assets (GET /api/assets) ------------------------------------------------------

export interface AssetColumn {
  name: string;
  /** 1-based. */
  ordinal: number;
  type: string;
  nullable: boolean;
  default: string | null;
  comment: string | null;
  is_pk: boolean;
}

export interface BusinessMetadata {
  description: string | null;
  tags: string[];
  owners: string[];
  glossary_terms: string[];
}

export interface Asset {
  /** `db-<n>`, `file-<n>` or `dataset-<n>`. */
  id: string;
  type: string;
  name: string;
  catalog: string;
  schema: string;
  qualified_name: string;
  urn: string;
  connector_id: number | null;
  source_name: string;
  discovered_at: string;
  last_seen: string;
  last_changed: string;
  deleted: boolean;
  technical_metadata: Record<string, unknown> | null;
  operational_metadata: Record<string, unknown> | null;
  business_metadata: BusinessMetadata;
  source_comment: string | null;
  columns: AssetColumn[];
  definition: { language: string; text: string } | null;
  schema_hash: string | null;
}

export interface AssetList {
  assets: Asset[];
  pagination: Pagination;
}

/** Body of PATCH /api/assets/{id}; fields left out stay as they are. */
export interface AssetPatch {
  description?: string | null;
  tags?: string[];
  owners?: string[];
  glossary_terms?: string[];
  /** Optional: the server takes the signed-in user and refuses another name (400). */
  by?: string;
  comment?: string;
}

export interface AssetSchemaVersion {
  version: number;
  schema_hash: string;
  schema: SchemaBody;
  diff: SchemaDiff | null;
  observed_at: string;
  scan_id: number | null;
}

// ---- lineage (GET /api/lineage/graph) ----------------------------------------------

export interface ColumnMapping {
  source_column: string;
  target_column: string;
  transformation: string;
  expression?: string;
}

export interface LineageNode {
  urn: string;
  namespace: string;
  name: string;
  /** Hops from the start: negative upstream, positive downstream, 0 the start. */
  depth: number;
  columns?: string[];
  discovery_id: number | null;
  dataset_id: number | null;
}

export interface LineageEdge {
  id: number;
  source: string;
  target: string;
  process: string | null;
  relationship: string;
  origin: string;
  confidence: number;
  metadata: unknown;
  columns: ColumnMapping[];
  valid_from: string;
  valid_to: string | null;
}

export interface LineageProcess {
  id: number;
  urn: string;
  namespace: string;
  name: string;
  process_type: string;
  source_system: string;
  definition: string | null;
  description: string | null;
}

export interface LineageGraph {
  root: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  processes: LineageProcess[];
  truncated: boolean;
}

/** One event of `GET /api/events` (the `data` JSON; `type` is the event name). */
export interface ScanEvent {
  type: "scan_queued" | "scan_started" | "scan_progress" | "scan_finished" | "discovered";
  scan_id: number;
  [key: string]: unknown;
}

// ---- authentication, users, tokens, audit (issue 8) ---------------------------------

export type Role = "viewer" | "engineer" | "steward" | "admin";
export const ROLES: Role[] = ["viewer", "engineer", "steward", "admin"];

export type Permission = "read" | "review" | "edit_metadata" | "operate" | "write_lineage" | "read_audit" | "manage_users";

export interface User {
  id: number;
  username: string;
  display_name: string | null;
  email: string | null;
  role: Role;
  auth_source: "local" | "oidc";
  disabled: boolean;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

/** `GET /api/auth/me`. */
export interface Me {
  user: User;
  auth: "session" | "token" | "none";
  csrf_token: string | null;
  permissions: Permission[];
}

/** `GET /api/auth/config` (public). */
export interface AuthConfig {
  local_login: boolean;
  oidc: { enabled: boolean; label: string | null };
  auth_enabled: boolean;
}

export interface LoginResponse {
  user: User;
  csrf_token: string;
}

export interface UserList {
  users: User[];
}

export interface NewUserRequest {
  username: string;
  password?: string;
  role: Role;
  display_name?: string;
  email?: string;
}

export interface UserPatchRequest {
  role?: Role;
  display_name?: string;
  email?: string;
  disabled?: boolean;
  password?: string;
}

export interface ApiToken {
  id: number;
  user_id: number;
  username: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface TokenList {
  tokens: ApiToken[];
}

/** `POST /api/tokens`: the secret is in `token`, shown this once. */
export interface CreatedToken {
  token: string;
  info: ApiToken;
}

export interface AuditSearch {
  entries: AuditEntry[];
  pagination: Pagination;
}
