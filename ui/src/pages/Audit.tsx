// The audit log (stewards and admins): who changed what, when, from where. Filters and the
// page live in the URL; a row opens to show what changed; "Download CSV" exports the same
// filter (all pages). Uses GET /api/audit and GET /api/audit?format=csv.

import { Fragment, useEffect, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router";
import {
  Box,
  Button,
  Collapse,
  IconButton,
  LinearProgress,
  Link,
  Paper,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import DownloadIcon from "@mui/icons-material/FileDownloadOutlined";
import ClearIcon from "@mui/icons-material/ClearOutlined";
import ExpandIcon from "@mui/icons-material/KeyboardArrowDown";
import CollapseIcon from "@mui/icons-material/KeyboardArrowUp";

import { auditCsvUrl, useAuditSearch, type AuditParams } from "../api/auth";
import type { AuditEntry } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { useDebounced } from "../lib/useDebounced";
import { formatDate, humanize } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";
import { jsonDiff } from "../lib/jsonDiff";

const SIZES = [25, 50, 100];
const TEXT_FILTERS = ["actor", "entity_type", "action"] as const;
const DATE_FILTERS = ["since", "until"] as const;
const FILTER_LABELS: Record<(typeof TEXT_FILTERS)[number] | (typeof DATE_FILTERS)[number], string> = {
  actor: "Actor",
  entity_type: "Entity type",
  action: "Action",
  since: "Since",
  until: "Until",
};

/** The API's filters from the address bar; dates become whole days (until is inclusive). */
export function auditParamsFromUrl(search: URLSearchParams): AuditParams {
  const p: AuditParams = {};
  for (const key of TEXT_FILTERS) {
    const v = search.get(key)?.trim();
    if (v) p[key] = v;
  }
  const entityId = search.get("entity_id")?.trim();
  if (entityId) p.entity_id = entityId;
  const since = search.get("since");
  if (since && /^\d{4}-\d{2}-\d{2}$/.test(since)) p.since = `${since}T00:00:00Z`;
  const until = search.get("until");
  if (until && /^\d{4}-\d{2}-\d{2}$/.test(until)) p.until = `${until}T23:59:59.999Z`;
  const page = Number(search.get("page") ?? "0");
  if (Number.isInteger(page) && page > 0) p.page = page;
  const size = Number(search.get("size") ?? "25");
  p.size = SIZES.includes(size) ? size : 25;
  return p;
}

/** The UI page of an audited entity, when it has one. */
export function entityLink(e: Pick<AuditEntry, "entity_type" | "entity_id">): string | null {
  switch (e.entity_type) {
    case "discovery":
      return `/discoveries/${e.entity_id}`;
    case "asset":
      return `/assets/db-${e.entity_id}`;
    case "scan":
      return `/scans/${e.entity_id}`;
    case "dataset":
      return `/datasets/${e.entity_id}`;
    case "connection":
      return "/connections";
    default:
      return null;
  }
}

export function Audit() {
  const [searchParams, setSearchParams] = useSearchParams();
  const params = auditParamsFromUrl(searchParams);
  const list = useAuditSearch(params);
  const size = params.size ?? 25;
  const page = params.page ?? 0;

  /** Sets or clears keys in the URL; any filter change goes back to the first page. */
  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(searchParams);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === "") next.delete(k);
      else next.set(k, v);
    }
    if (!("page" in changes)) next.delete("page");
    setSearchParams(next, { replace: true });
  };
  const filtered = [...TEXT_FILTERS, ...DATE_FILTERS, "entity_id"].some((k) => searchParams.get(k));

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every review, metadata edit, connection change and sign-in change, with who and from where"
        actions={
          <Button variant="outlined" startIcon={<DownloadIcon />} href={auditCsvUrl(params)} download>
            Download CSV
          </Button>
        }
      />
      <Paper sx={{ p: 1.5, mb: 2 }}>
        <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1.5, alignItems: "center" }}>
          {TEXT_FILTERS.map((key) => (
            <TextFilter key={key} name={key} label={FILTER_LABELS[key]} value={searchParams.get(key) ?? ""} onChange={(v) => update({ [key]: v })} />
          ))}
          {DATE_FILTERS.map((key) => (
            <TextField
              key={key}
              size="small"
              type="date"
              label={FILTER_LABELS[key]}
              value={searchParams.get(key) ?? ""}
              onChange={(e) => update({ [key]: e.target.value })}
              slotProps={{ inputLabel: { shrink: true } }}
              sx={{ width: { xs: "calc(50% - 6px)", sm: 170 } }}
            />
          ))}
          {filtered && (
            <Button size="small" startIcon={<ClearIcon />} onClick={() => setSearchParams(new URLSearchParams(), { replace: true })}>
              Clear
            </Button>
          )}
        </Stack>
      </Paper>
      {list.isPending && <Loading label="Loading the audit log…" rows={6} />}
      {list.isError && <ErrorState error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && list.data.entries.length === 0 && (
        <Empty
          title={filtered ? "Nothing matches" : "The audit log is empty"}
          action={filtered ? <Button onClick={() => setSearchParams(new URLSearchParams())}>Clear the filters</Button> : undefined}
        >
          {filtered ? "Try a wider time range or fewer filters." : "Reviews, metadata edits and user changes show here as they happen."}
        </Empty>
      )}
      {list.data && list.data.entries.length > 0 && (
        <Paper sx={{ overflow: "hidden" }}>
          <Box sx={{ height: 4 }}>{list.isFetching && <LinearProgress aria-label="Refreshing" />}</Box>
          <TableContainer>
            <Table size="small" aria-label="Audit log">
              <TableHead>
                <TableRow>
                  <TableCell padding="checkbox" />
                  <TableCell>Time</TableCell>
                  <TableCell>Actor</TableCell>
                  <TableCell sx={WIDE_ONLY}>Role</TableCell>
                  <TableCell sx={WIDE_ONLY}>Source IP</TableCell>
                  <TableCell>Action</TableCell>
                  <TableCell>Entity</TableCell>
                  <TableCell sx={WIDE_ONLY}>Comment</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.data.entries.map((e) => (
                  <AuditRow key={e.id} entry={e} />
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={list.data.pagination.total}
            page={Math.min(page, Math.max(0, list.data.pagination.total_pages - 1))}
            rowsPerPage={size}
            rowsPerPageOptions={SIZES}
            onPageChange={(_, p) => update({ page: p > 0 ? String(p) : undefined })}
            onRowsPerPageChange={(e) => update({ size: e.target.value === "25" ? undefined : e.target.value })}
          />
        </Paper>
      )}
    </>
  );
}

/** A text filter that waits for typing to pause before it changes the URL. */
function TextFilter({ name, label, value, onChange }: { name: string; label: string; value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const debounced = useDebounced(text, 300);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (debounced.trim() !== value) onChange(debounced.trim());
    // Only a pause in typing writes the URL, not every change of `value`.
  }, [debounced]);
  return (
    <TextField
      size="small"
      label={label}
      name={name}
      value={text}
      onChange={(e) => setText(e.target.value)}
      slotProps={{ htmlInput: { maxLength: 200 } }}
      sx={{ width: { xs: "calc(50% - 6px)", sm: 170 } }}
    />
  );
}

function AuditRow({ entry: e }: { entry: AuditEntry }) {
  const [open, setOpen] = useState(false);
  const link = entityLink(e);
  const hasChange = e.before != null || e.after != null;
  const entity = `${e.entity_type} ${e.entity_id}`;
  return (
    <Fragment>
      <TableRow hover sx={{ "& > td": { borderBottom: open ? "unset" : undefined } }}>
        <TableCell padding="checkbox">
          {hasChange && (
            <IconButton size="small" onClick={() => setOpen((o) => !o)} aria-expanded={open} aria-label={`${open ? "Hide" : "Show"} the change of entry ${e.id}`}>
              {open ? <CollapseIcon fontSize="small" /> : <ExpandIcon fontSize="small" />}
            </IconButton>
          )}
        </TableCell>
        <TableCell sx={{ whiteSpace: { xs: "normal", md: "nowrap" }, minWidth: 90 }}>{formatDate(e.at)}</TableCell>
        <TableCell sx={{ overflowWrap: "anywhere" }}>{e.actor}</TableCell>
        <TableCell sx={WIDE_ONLY}>{e.role ?? "—"}</TableCell>
        <TableCell sx={{ ...WIDE_ONLY, fontFamily: "monospace", fontSize: 13 }}>{e.source_ip ?? "—"}</TableCell>
        <TableCell sx={{ whiteSpace: "normal", minWidth: 90 }}>{humanize(e.action)}</TableCell>
        <TableCell sx={{ whiteSpace: "nowrap" }}>
          {link ? (
            <Link component={RouterLink} to={link} underline="hover">
              {entity}
            </Link>
          ) : (
            entity
          )}
        </TableCell>
        <TableCell sx={{ ...WIDE_ONLY, whiteSpace: "normal", minWidth: 160 }}>
          <Typography variant="body2" sx={{ maxWidth: 320, overflowWrap: "anywhere" }}>
            {e.comment ?? ""}
          </Typography>
        </TableCell>
      </TableRow>
      <TableRow>
        <TableCell colSpan={8} sx={{ py: 0, ...(open ? {} : { borderBottom: "none" }) }}>
          <Collapse in={open} unmountOnExit>
            <Box sx={{ py: 1.5 }}>
              {e.comment && (
                <Typography variant="body2" sx={{ mb: 1, display: { md: "none" } }}>
                  {e.comment}
                </Typography>
              )}
              <ChangeView before={e.before} after={e.after} />
            </Box>
          </Collapse>
        </TableCell>
      </TableRow>
    </Fragment>
  );
}

const show = (v: unknown) => (v === undefined ? "—" : JSON.stringify(v));

function ChangeView({ before, after }: { before: unknown; after: unknown }) {
  const rows = jsonDiff(before, after);
  if (rows.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No field changed.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="What changed" sx={{ "& td, & th": { fontFamily: "monospace", fontSize: 12, verticalAlign: "top" } }}>
      <TableHead>
        <TableRow>
          <TableCell>Field</TableCell>
          <TableCell>Before</TableCell>
          <TableCell>After</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((r) => (
          <TableRow key={r.path}>
            <TableCell>{r.path || "(value)"}</TableCell>
            <TableCell sx={{ color: "error.main", overflowWrap: "anywhere", whiteSpace: "pre-wrap" }}>{show(r.before)}</TableCell>
            <TableCell sx={{ color: "success.main", overflowWrap: "anywhere", whiteSpace: "pre-wrap" }}>{show(r.after)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
