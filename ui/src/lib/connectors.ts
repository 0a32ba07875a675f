// What each connector type asks for, from docs/connectors.md. The form shows only the
// fields of the chosen type and auth method; secrets are write-only.

export interface FieldSpec {
  key: string;
  label: string;
  help?: string;
  required?: boolean;
}

export interface AuthSpec {
  value: string;
  label: string;
  options: FieldSpec[];
  secrets: FieldSpec[];
}

export interface ConnectorSpec {
  type: string;
  label: string;
  containersLabel: string;
  containersRequired: boolean;
  account: boolean;
  root: boolean;
  region: boolean;
  endpoint: boolean;
  auth: AuthSpec[];
}

const ENV: AuthSpec = { value: "environment", label: "From the environment", options: [], secrets: [] };
const ANON: AuthSpec = { value: "anonymous", label: "Anonymous (public)", options: [], secrets: [] };

export const CONNECTORS: ConnectorSpec[] = [
  {
    type: "local",
    label: "Local folder",
    containersLabel: "Folders under the root",
    containersRequired: false,
    account: false,
    root: true,
    region: false,
    endpoint: false,
    auth: [{ value: "none", label: "None", options: [], secrets: [] }],
  },
  {
    type: "s3",
    label: "Amazon S3 or S3-compatible",
    containersLabel: "Buckets",
    containersRequired: true,
    account: false,
    root: false,
    region: true,
    endpoint: true,
    auth: [
      {
        value: "access_key",
        label: "Access key",
        options: [{ key: "access_key_id", label: "Access key ID", required: true }],
        secrets: [
          { key: "secret_access_key", label: "Secret access key", required: true },
          { key: "session_token", label: "Session token", help: "Only for temporary credentials" },
        ],
      },
      ENV,
      ANON,
    ],
  },
  {
    type: "azure_blob",
    label: "Azure Blob Storage",
    containersLabel: "Containers",
    containersRequired: true,
    account: true,
    root: false,
    region: false,
    endpoint: true,
    auth: [
      { value: "account_key", label: "Account key", options: [], secrets: [{ key: "account_key", label: "Account key", required: true }] },
      { value: "sas_token", label: "SAS token", options: [], secrets: [{ key: "sas_token", label: "SAS token", required: true, help: "Needs read and list" }] },
      {
        value: "connection_string",
        label: "Connection string",
        options: [],
        secrets: [{ key: "connection_string", label: "Connection string", required: true }],
      },
      {
        value: "service_principal",
        label: "Service principal",
        options: [
          { key: "tenant_id", label: "Tenant ID", required: true },
          { key: "client_id", label: "Client ID", required: true },
        ],
        secrets: [{ key: "client_secret", label: "Client secret", required: true }],
      },
      { value: "managed_identity", label: "Managed identity", options: [{ key: "client_id", label: "Client ID", help: "Only for a user-assigned identity" }], secrets: [] },
      ENV,
      ANON,
    ],
  },
  {
    type: "gcs",
    label: "Google Cloud Storage",
    containersLabel: "Buckets",
    containersRequired: true,
    account: false,
    root: false,
    region: false,
    endpoint: true,
    auth: [
      {
        value: "service_account",
        label: "Service account",
        options: [],
        secrets: [{ key: "service_account_json", label: "Service account key (JSON)", required: true }],
      },
      ENV,
      ANON,
    ],
  },
];

export function connectorSpec(type: string): ConnectorSpec {
  return CONNECTORS.find((c) => c.type === type) ?? CONNECTORS[0]!;
}

export function authSpec(spec: ConnectorSpec, auth: string): AuthSpec {
  return spec.auth.find((a) => a.value === auth) ?? spec.auth[0]!;
}

/** `a, b ,c` → `["a", "b", "c"]`. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A 5-field cron expression, checked only for shape (the server checks the rest). */
export function cronShapeError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  const fields = t.split(/\s+/);
  return fields.length === 5 ? null : `A schedule has 5 fields (minute hour day month weekday), this has ${fields.length}`;
}
