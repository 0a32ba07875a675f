// One file: its schema (nested columns too), schema history with diffs, storage and file
// facts, and the audit trail; approve or reject it from here.
// Uses GET /api/discovery/{id}, /schema-history, /audit and PUT /approve|/reject.

import { useState } from "react";
import { Link as RouterLink, useLocation, useNavigate } from "react-router";
import {
  Alert,
  Box,
  Breadcrumbs,
  Button,
  Chip,
  Collapse,
  Link,
  Paper,
  Snackbar,
  Stack,
  Tab,
  Tabs,
  Typography,
} from "@mui/material";

import { ApiError } from "../api/client";
import { useAudit, useDiscovery, useSchemaHistory } from "../api/hooks";
import type { AuditEntry, SchemaVersion } from "../api/types";
import { KeyValues } from "../components/KeyValues";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { ReviewDialog, type ReviewKind } from "../components/ReviewDialog";
import { SchemaDiffView } from "../components/SchemaDiffView";
import { SchemaTable } from "../components/SchemaTable";
import { StatusChip } from "../components/StatusChip";
import { formatBytes, formatDate, formatNumber, humanize } from "../lib/format";
import { useIdParam } from "../lib/useId";
import { NotFound } from "./NotFound";
import { useCan } from "../api/auth";

const TABS = ["schema", "history", "details", "audit"] as const;
type TabName = (typeof TABS)[number];
const TAB_LABELS: Record<TabName, string> = { schema: "Schema", history: "Schema history", details: "Storage & file", audit: "Audit trail" };

export function DiscoveryDetailPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <DiscoveryDetailView id={id} />;
}

function DiscoveryDetailView({ id }: { id: number }) {
  const detail = useDiscovery(id);
  const { hash } = useLocation();
  const navigate = useNavigate();
  const tab: TabName = (TABS as readonly string[]).includes(hash.slice(1)) ? (hash.slice(1) as TabName) : "schema";
  const [review, setReview] = useState<ReviewKind | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canReview = useCan("review");

  if (detail.isPending) return <Loading label="Loading the file…" rows={8} />;
  if (detail.isError) {
    if (detail.error instanceof ApiError && detail.error.status === 404) {
      return (
        <Empty title={`Discovery ${id} does not exist`} action={<Button component={RouterLink} to="/discoveries">Back to the catalog</Button>}>
          It may have been removed, or the link is wrong.
        </Empty>
      );
    }
    return <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />;
  }
  const d = detail.data;
  const info = d.discovery_info;
  const canApprove = info.approval_status !== "approved" && info.approval_status !== "published";
  const canReject = info.approval_status !== "rejected";

  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }} aria-label="Breadcrumb">
        <Link component={RouterLink} to="/discoveries" underline="hover">
          Discoveries
        </Link>
        <Typography color="text.primary" noWrap sx={{ maxWidth: 240 }}>
          {d.storage_location.name}
        </Typography>
      </Breadcrumbs>
      <PageHeader
        title={d.storage_location.name}
        subtitle={d.urn}
        actions={
          canReview ? (
            <>
              <Button variant="contained" color="success" disabled={!canApprove} onClick={() => setReview("approve")}>
                Approve
              </Button>
              <Button variant="outlined" color="error" disabled={!canReject} onClick={() => setReview("reject")}>
                Reject
              </Button>
            </>
          ) : undefined
        }
      />
      <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1, mb: 2 }} aria-label="Status">
        <StatusChip status={info.approval_status} size="medium" />
        <StatusChip status={info.deleted ? "deleted" : info.status} size="medium" />
        <Chip label={d.file_metadata.format ?? "unknown format"} variant="outlined" />
        <Chip label={formatBytes(d.file_metadata.size)} variant="outlined" />
        {d.file_metadata.row_count !== null && <Chip label={`${formatNumber(d.file_metadata.row_count)} row${d.file_metadata.row_count === 1 ? "" : "s"}`} variant="outlined" />}
        {info.tags.map((t) => (
          <Chip key={t} label={t} size="medium" />
        ))}
      </Stack>
      {info.error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          Torro could not read this file's schema: {info.error}
        </Alert>
      )}
      <Paper>
        <Tabs
          value={tab}
          onChange={(_, value: TabName) => void navigate({ hash: value === "schema" ? "" : value }, { replace: true })}
          variant="scrollable"
          allowScrollButtonsMobile
          aria-label="File sections"
        >
          {TABS.map((t) => (
            <Tab key={t} value={t} label={TAB_LABELS[t]} id={`tab-${t}`} aria-controls={`panel-${t}`} />
          ))}
        </Tabs>
        <Box role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} sx={{ p: { xs: 1.5, sm: 2 }, borderTop: 1, borderColor: "divider" }}>
          {tab === "schema" &&
            (d.schema_json && d.schema_json.fields.length > 0 ? (
              <SchemaTable fields={d.schema_json.fields} />
            ) : (
              <Empty title="No schema">{info.error ? "The file could not be read." : "Torro found no columns in this file."}</Empty>
            ))}
          {tab === "history" && <SchemaHistoryPanel id={id} />}
          {tab === "details" && (
            <Stack spacing={3}>
              <section aria-label="Storage location">
                <Typography variant="h3" sx={{ mb: 1 }}>
                  Storage location
                </Typography>
                <KeyValues
                  items={[
                    ["Storage", humanize(d.storage_location.storage_type)],
                    ["Account", d.storage_location.account || "—"],
                    ["Container", d.storage_location.container || "—"],
                    ["Path", d.storage_location.path],
                    ["Source", info.source_name || "—"],
                    ["Environment", info.environment ? `${info.environment}${info.env_type ? ` (${info.env_type})` : ""}` : "—"],
                    ["Data source", info.data_source_type || "—"],
                    [
                      "Dataset",
                      d.dataset_id ? (
                        <Link component={RouterLink} to={`/datasets/${d.dataset_id}`}>
                          Dataset {d.dataset_id}
                        </Link>
                      ) : (
                        "—"
                      ),
                    ],
                    ["Partition", d.partition_values?.map((p) => `${p.column}=${p.value}`).join(", ") || "—"],
                  ]}
                />
              </section>
              <section aria-label="File metadata">
                <Typography variant="h3" sx={{ mb: 1 }}>
                  File
                </Typography>
                <KeyValues
                  items={[
                    ["Format", d.file_metadata.format ?? "unknown"],
                    ["Size", `${formatBytes(d.file_metadata.size)} (${formatNumber(d.file_metadata.size)} bytes)`],
                    ["Rows", formatNumber(d.file_metadata.row_count)],
                    ["Columns", formatNumber(d.file_metadata.column_count)],
                    ["Modified", formatDate(d.file_metadata.last_modified)],
                    ["ETag", d.file_metadata.etag ?? "—"],
                    ["Fingerprint", d.file_metadata.fingerprint],
                    ["First seen", formatDate(info.first_seen)],
                    ["Last seen", formatDate(info.last_seen)],
                    ["Last changed", formatDate(info.last_changed)],
                    ["Deleted", info.deleted ? formatDate(info.deleted_at) : "no"],
                    [
                      "Last scan",
                      info.last_scan_id ? (
                        <Link component={RouterLink} to={`/scans/${info.last_scan_id}`}>
                          Scan {info.last_scan_id}
                        </Link>
                      ) : (
                        "—"
                      ),
                    ],
                  ]}
                />
              </section>
              {Object.keys(d.storage_metadata).length > 0 && (
                <section aria-label="Format details">
                  <Typography variant="h3" sx={{ mb: 1 }}>
                    Format details
                  </Typography>
                  <KeyValues
                    items={Object.entries(d.storage_metadata).map(([k, v]) => [humanize(k), <FactValue value={v} />])}
                  />
                </section>
              )}
            </Stack>
          )}
          {tab === "audit" && <AuditPanel id={id} />}
        </Box>
      </Paper>
      <ReviewDialog
        open={review !== null}
        kind={review ?? "approve"}
        ids={[id]}
        name={d.storage_location.name}
        onClose={() => setReview(null)}
        onDone={() => setNotice(review === "reject" ? "Rejected" : "Approved")}
      />
      <Snackbar open={notice !== null} autoHideDuration={5000} onClose={() => setNotice(null)}>
        <Alert severity="success" variant="filled" onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      </Snackbar>
    </>
  );
}

const LONG_TEXT = 120;

/** A format fact: plain values as text, lists joined, objects as nested facts; long text
 * (an embedded Arrow schema, say) is cut, with the whole value in its tooltip. */
function FactValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <>—</>;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) {
    return <>{value.map(String).join(", ") || "—"}</>;
  }
  if (typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v] as const) : Object.entries(value);
    return <KeyValues items={entries.map(([k, v]) => [k, <FactValue value={v} />])} />;
  }
  const text = String(value);
  if (text.length <= LONG_TEXT) return <>{text}</>;
  return (
    <Box component="span" title={text} sx={{ fontFamily: "monospace", fontSize: 12 }}>
      {text.slice(0, LONG_TEXT)}… ({formatNumber(text.length)} characters)
    </Box>
  );
}

function SchemaHistoryPanel({ id }: { id: number }) {
  const history = useSchemaHistory(id);
  if (history.isPending) return <Loading label="Loading schema history…" />;
  if (history.isError) return <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  const versions = [...history.data.versions].reverse();
  if (versions.length === 0) return <Empty title="No schema versions">The file's schema was never read.</Empty>;
  return (
    <Stack spacing={1.5} component="ol" sx={{ listStyle: "none", p: 0, m: 0 }} aria-label="Schema versions, newest first">
      {versions.map((v) => (
        <VersionCard key={v.version} version={v} latest={v === versions[0]} />
      ))}
    </Stack>
  );
}

function VersionCard({ version: v, latest }: { version: SchemaVersion; latest: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <Paper component="li" sx={{ p: 1.5 }}>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={1} sx={{ justifyContent: "space-between", alignItems: { sm: "center" }, mb: 1 }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: "center", flexWrap: "wrap" }}>
          <Typography variant="h3">Version {v.version}</Typography>
          {latest && <Chip size="small" label="current" color="primary" />}
          <Typography variant="body2" color="text.secondary">
            {v.summary}
          </Typography>
        </Stack>
        <Typography variant="caption" color="text.secondary">
          {formatDate(v.seen_at)}
          {v.scan_id !== null && " · "}
          {v.scan_id !== null && (
            <Link component={RouterLink} to={`/scans/${v.scan_id}`}>
              scan {v.scan_id}
            </Link>
          )}
        </Typography>
      </Stack>
      {v.diff ? (
        <SchemaDiffView diff={v.diff} />
      ) : (
        <Typography variant="body2" color="text.secondary">
          First schema seen: {v.schema.fields.length} column{v.schema.fields.length === 1 ? "" : "s"}
        </Typography>
      )}
      <Button size="small" onClick={() => setOpen((o) => !o)} sx={{ mt: 1 }} aria-expanded={open}>
        {open ? "Hide" : "Show"} the full schema
      </Button>
      <Collapse in={open} unmountOnExit>
        <SchemaTable fields={v.schema.fields} label={`Schema version ${v.version}`} />
      </Collapse>
    </Paper>
  );
}

function describe(value: unknown): string {
  if (value && typeof value === "object" && "approval_status" in value) return String((value as { approval_status: unknown }).approval_status);
  return value === null || value === undefined ? "—" : JSON.stringify(value);
}

function AuditPanel({ id }: { id: number }) {
  const audit = useAudit(id);
  if (audit.isPending) return <Loading label="Loading the audit trail…" />;
  if (audit.isError) return <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />;
  if (audit.data.entries.length === 0) return <Empty title="No review yet">Approvals and rejections of this file show here, with who, when and why.</Empty>;
  return (
    <Stack component="ol" spacing={1} sx={{ listStyle: "none", p: 0, m: 0 }} aria-label="Audit trail, newest first">
      {audit.data.entries.map((e: AuditEntry) => (
        <Paper component="li" key={e.id} sx={{ p: 1.5 }}>
          <Stack direction={{ xs: "column", sm: "row" }} spacing={1} sx={{ justifyContent: "space-between" }}>
            <Typography variant="body2">
              <strong>{e.actor}</strong>
              {e.role && ` (${e.role})`} · {humanize(e.action)} · {describe(e.before)} → {describe(e.after)}
            </Typography>
            <Typography variant="caption" color="text.secondary">
              {formatDate(e.at)}
            </Typography>
          </Stack>
          {e.comment && (
            <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5, whiteSpace: "pre-wrap" }}>
              {e.comment}
            </Typography>
          )}
        </Paper>
      ))}
    </Stack>
  );
}
