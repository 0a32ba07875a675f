// The catalog as a table: server-side paging, sorting, filters with facet counts and a
// debounced full-text search, all kept in the URL; select rows to approve or reject them.
// Uses GET /api/discovery and PUT /api/discovery/{id}/approve|reject.

import { useEffect, useMemo, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router";
import {
  Alert,
  Box,
  Button,
  Checkbox,
  FormControl,
  InputAdornment,
  InputLabel,
  LinearProgress,
  Link,
  MenuItem,
  Paper,
  Select,
  Snackbar,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  TableSortLabel,
  TextField,
  Toolbar,
  Tooltip,
  Typography,
} from "@mui/material";
import SearchIcon from "@mui/icons-material/Search";
import ClearIcon from "@mui/icons-material/FilterAltOff";

import { useDiscoveries, type DiscoveryParams } from "../api/hooks";
import type { Facets } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { ReviewDialog, type ReviewKind } from "../components/ReviewDialog";
import { StatusChip } from "../components/StatusChip";
import { FILTER_KEYS, PAGE_SIZES, paramsFromSearch, searchFromParams, type FilterKey } from "../lib/discoveryUrl";
import { formatAgo, formatBytes, formatDate, formatNumber, valueLabel } from "../lib/format";
import { useDebounced } from "../lib/useDebounced";
import { PHONE_ONLY, WIDE_ONLY } from "../lib/responsive";
import { useCan } from "../api/auth";

const SEARCH_DEBOUNCE_MS = 300;

/** On a phone the "Rows per page" label would push the page arrows off screen. */
const COMPACT_PAGINATION = {
  "& .MuiTablePagination-selectLabel, & .MuiTablePagination-input": { display: { xs: "none", sm: "flex" } },
} as const;

const FILTER_LABELS: Record<FilterKey, string> = {
  status: "Status",
  environment: "Environment",
  data_source_type: "Data source",
  format: "Format",
  storage: "Storage",
};

/** The facet counts for one filter; status merges file status and review status. */
function facetCounts(facets: Facets | undefined, key: FilterKey): Record<string, number> {
  if (!facets) return {};
  switch (key) {
    case "status":
      return { ...facets.approval_status, ...facets.status };
    case "environment":
      return facets.environment;
    case "data_source_type":
      return facets.data_source_type;
    case "format": {
      // Files without a format count under "unknown", which is not a filter value.
      const { unknown: _unknown, ...rest } = facets.format;
      return rest;
    }
    case "storage":
      return facets.storage_type;
  }
}

function FilterSelect({ name, value, counts, onChange }: { name: FilterKey; value: string; counts: Record<string, number>; onChange: (v: string) => void }) {
  const options = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (value && !(value in counts)) options.unshift([value, 0]);
  const id = `filter-${name}`;
  return (
    <FormControl size="small" sx={{ minWidth: { xs: "calc(50% - 8px)", sm: 150 }, flex: { xs: "1 1 40%", sm: "0 0 auto" } }}>
      <InputLabel id={`${id}-label`}>{FILTER_LABELS[name]}</InputLabel>
      <Select labelId={`${id}-label`} id={id} label={FILTER_LABELS[name]} value={value} onChange={(e) => onChange(e.target.value)}>
        <MenuItem value="">
          <em>Any</em>
        </MenuItem>
        {options.map(([key, n]) => (
          <MenuItem key={key} value={key}>
            {valueLabel(name, key)} ({formatNumber(n)})
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

const SORTABLE: { field: string; label: string; align?: "right" }[] = [
  { field: "name", label: "Name" },
  { field: "size", label: "Size", align: "right" },
  { field: "last_changed", label: "Last changed" },
];

export function Discoveries() {
  const [searchParams, setSearchParams] = useSearchParams();
  const params = useMemo(() => paramsFromSearch(searchParams), [searchParams]);
  const list = useDiscoveries(params);
  const [text, setText] = useState(params.search ?? "");
  const debounced = useDebounced(text, SEARCH_DEBOUNCE_MS);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [review, setReview] = useState<ReviewKind | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Selection exists for the bulk review, so only reviewers get the checkboxes.
  const canReview = useCan("review");

  const update = (change: Partial<DiscoveryParams>, options: { replace?: boolean } = {}) => {
    // Any change but paging goes back to the first page.
    const next = { ...params, page: 0, ...change };
    setSearchParams(searchFromParams(next), { replace: options.replace });
    setSelected(new Set());
  };

  useEffect(() => {
    const trimmed = debounced.trim();
    if (trimmed !== (params.search ?? "")) update({ search: trimmed || undefined }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);

  useEffect(() => {
    // Back/forward or a shared link changed the search: show it in the box.
    if ((params.search ?? "") !== debounced.trim()) setText(params.search ?? "");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params.search]);

  const rows = list.data?.discoveries ?? [];
  const pagination = list.data?.pagination;
  const sort = params.sort ?? "last_changed";
  const order = params.order ?? "desc";
  const filtered = FILTER_KEYS.some((k) => params[k]) || !!params.search;
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));

  const toggle = (id: number) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      <PageHeader
        title="Discoveries"
        subtitle={pagination ? `${formatNumber(pagination.total)} file${pagination.total === 1 ? "" : "s"}${filtered ? " match" : " in the catalog"}` : "Every file Torro has cataloged"}
      />
      <Paper sx={{ p: 1.5, mb: 2 }}>
        <Stack spacing={1.5}>
          <TextField
            size="small"
            placeholder="Search file names, paths and column names"
            value={text}
            onChange={(e) => setText(e.target.value)}
            slotProps={{
              htmlInput: { "aria-label": "Search the catalog", maxLength: 200 },
              input: {
                startAdornment: (
                  <InputAdornment position="start">
                    <SearchIcon fontSize="small" />
                  </InputAdornment>
                ),
              },
            }}
          />
          <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1, alignItems: "center" }}>
            {FILTER_KEYS.map((key) => (
              <FilterSelect key={key} name={key} value={params[key] ?? ""} counts={facetCounts(list.data?.facets, key)} onChange={(v) => update({ [key]: v || undefined })} />
            ))}
            {filtered && (
              <Button
                size="small"
                startIcon={<ClearIcon />}
                onClick={() => {
                  setText("");
                  setSearchParams(new URLSearchParams());
                  setSelected(new Set());
                }}
              >
                Clear
              </Button>
            )}
          </Stack>
        </Stack>
      </Paper>

      {list.isPending && <Loading label="Loading the catalog…" rows={6} />}
      {list.isError && <ErrorState error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && rows.length === 0 && (
        <Empty
          title={filtered ? "Nothing matches" : "The catalog is empty"}
          action={
            filtered ? (
              <Button onClick={() => setSearchParams(new URLSearchParams())}>Clear search and filters</Button>
            ) : (
              <Button component={RouterLink} to="/connections" variant="contained">
                Add a connection
              </Button>
            )
          }
        >
          {filtered ? "Try other words or fewer filters." : "Run discovery on a connection to fill it."}
        </Empty>
      )}
      {list.data && rows.length > 0 && (
        <Paper sx={{ overflow: "hidden" }}>
          {canReview && selected.size > 0 && (
            <Toolbar variant="dense" role="toolbar" sx={{ bgcolor: "action.selected", gap: 1, flexWrap: "wrap" }} aria-label="Bulk actions">
              <Typography sx={{ flexGrow: 1 }} variant="body2">
                {selected.size} selected
              </Typography>
              <Button size="small" variant="contained" color="success" onClick={() => setReview("approve")}>
                Approve
              </Button>
              <Button size="small" variant="contained" color="error" onClick={() => setReview("reject")}>
                Reject
              </Button>
            </Toolbar>
          )}
          <Box sx={{ height: 4 }}>{list.isFetching && <LinearProgress aria-label="Refreshing" />}</Box>
          <TableContainer>
            <Table size="small" aria-label="Discoveries">
              <TableHead>
                <TableRow>
                  {canReview && (
                    <TableCell padding="checkbox">
                      <Checkbox
                        checked={allSelected}
                        indeterminate={selected.size > 0 && !allSelected}
                        onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                        slotProps={{ input: { "aria-label": "Select every row on this page" } }}
                      />
                    </TableCell>
                  )}
                  {SORTABLE.slice(0, 1).map((c) => (
                    <SortHeader key={c.field} {...c} sort={sort} order={order} onSort={(s, o) => update({ sort: s, order: o })} />
                  ))}
                  <TableCell sx={WIDE_ONLY}>Format</TableCell>
                  <SortHeader sx={WIDE_ONLY} {...SORTABLE[1]!} sort={sort} order={order} onSort={(s, o) => update({ sort: s, order: o })} />
                  <TableCell>Status</TableCell>
                  <TableCell sx={WIDE_ONLY}>Environment</TableCell>
                  <TableCell sx={WIDE_ONLY}>Source</TableCell>
                  <SortHeader sx={WIDE_ONLY} {...SORTABLE[2]!} sort={sort} order={order} onSort={(s, o) => update({ sort: s, order: o })} />
                </TableRow>
              </TableHead>
              <TableBody>
                {rows.map((d) => (
                  <TableRow key={d.id} hover selected={selected.has(d.id)}>
                    {canReview && (
                      <TableCell padding="checkbox">
                        <Checkbox checked={selected.has(d.id)} onChange={() => toggle(d.id)} slotProps={{ input: { "aria-label": `Select ${d.name}` } }} />
                      </TableCell>
                    )}
                    <TableCell sx={{ maxWidth: { xs: 170, sm: 360 } }}>
                      <Link component={RouterLink} to={`/discoveries/${d.id}`} underline="hover" sx={{ fontWeight: 500, display: "block" }} noWrap>
                        {d.name}
                      </Link>
                      <Typography variant="caption" color="text.secondary" noWrap component="div" title={d.urn}>
                        {d.storage_type === "local" ? d.folder || "/" : `${d.container}/${d.folder}`}
                      </Typography>
                      <Typography variant="caption" color="text.secondary" sx={PHONE_ONLY}>
                        {d.format ?? "unknown format"} · {formatBytes(d.size)}
                      </Typography>
                    </TableCell>
                    <TableCell sx={WIDE_ONLY}>{d.format ?? "—"}</TableCell>
                    <TableCell sx={WIDE_ONLY} align="right">
                      {formatBytes(d.size)}
                    </TableCell>
                    <TableCell>
                      <Stack direction="row" spacing={0.5}>
                        <StatusChip status={d.approval_status} />
                        {d.status !== "active" && (
                          <Tooltip title={d.error ?? ""}>
                            <span>
                              <StatusChip status={d.status} />
                            </span>
                          </Tooltip>
                        )}
                      </Stack>
                    </TableCell>
                    <TableCell sx={WIDE_ONLY}>{d.environment || "—"}</TableCell>
                    <TableCell sx={WIDE_ONLY}>{d.data_source_type || d.source_name || "—"}</TableCell>
                    <TableCell sx={WIDE_ONLY} title={formatDate(d.last_changed)}>{formatAgo(d.last_changed)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={pagination?.total ?? 0}
            page={Math.min(params.page ?? 0, Math.max(0, (pagination?.total_pages ?? 1) - 1))}
            rowsPerPage={params.size ?? 25}
            rowsPerPageOptions={[...PAGE_SIZES]}
            onPageChange={(_, page) => {
              setSearchParams(searchFromParams({ ...params, page }));
              setSelected(new Set());
            }}
            onRowsPerPageChange={(e) => update({ size: Number(e.target.value) })}
            sx={COMPACT_PAGINATION}
          />
        </Paper>
      )}
      <ReviewDialog
        open={review !== null}
        kind={review ?? "approve"}
        ids={[...selected]}
        name={selected.size === 1 ? rows.find((r) => selected.has(r.id))?.name : undefined}
        onClose={() => setReview(null)}
        onDone={(ok) => {
          setNotice(`${review === "reject" ? "Rejected" : "Approved"} ${ok.length} file${ok.length === 1 ? "" : "s"}`);
          setSelected((prev) => new Set([...prev].filter((id) => !ok.includes(id))));
        }}
      />
      <Snackbar open={notice !== null} autoHideDuration={5000} onClose={() => setNotice(null)}>
        <Alert severity="success" variant="filled" onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      </Snackbar>
    </>
  );
}

function SortHeader({ field, label, align, sort, order, onSort, sx }: { field: string; label: string; align?: "right"; sort: string; order: "asc" | "desc"; onSort: (sort: string, order: "asc" | "desc") => void; sx?: object }) {
  const active = sort === field;
  return (
    <TableCell align={align} sortDirection={active ? order : false} sx={sx}>
      <TableSortLabel
        active={active}
        direction={active ? order : field === "name" ? "asc" : "desc"}
        onClick={() => onSort(field, active ? (order === "asc" ? "desc" : "asc") : field === "name" ? "asc" : "desc")}
      >
        {label}
      </TableSortLabel>
    </TableCell>
  );
}
