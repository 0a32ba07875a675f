// Every cataloged asset in one list: database tables, views, routines and triggers, files
// and datasets. Type chips, connection filter and a debounced search, all in the URL;
// paged by the server. Uses GET /api/assets and GET /api/connections.

import { useEffect, useMemo, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router";
import {
  Button,
  Chip,
  InputAdornment,
  Link,
  MenuItem,
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
import SearchIcon from "@mui/icons-material/Search";

import { useAssets, useConnections, type AssetParams } from "../api/hooks";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { ASSET_TYPES, assetParamsFromSearch, searchFromAssetParams } from "../lib/assetUrl";
import { formatAgo, formatDate, formatNumber, humanize } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";
import { useDebounced } from "../lib/useDebounced";

export function Assets() {
  const [searchParams, setSearchParams] = useSearchParams();
  const params = useMemo(() => assetParamsFromSearch(searchParams), [searchParams]);
  const update = (next: AssetParams, replace = false) => setSearchParams(searchFromAssetParams(next), { replace });

  const [text, setText] = useState(params.search ?? "");
  const search = useDebounced(text.trim(), 300);
  useEffect(() => {
    if (search !== (params.search ?? "")) update({ ...params, search, page: 0 }, true);
    // Only a settled search changes the URL; the URL changing (back button) resets the box below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);
  useEffect(() => {
    setText((current) => (current.trim() === (params.search ?? "") ? current : (params.search ?? "")));
  }, [params.search]);

  const assets = useAssets(params);
  const connections = useConnections();
  const filtered = !!(params.search || params.type || params.connector);

  return (
    <>
      <PageHeader title="Assets" subtitle="Database tables, views and routines, files and datasets: one catalog" />
      <Stack direction={{ xs: "column", md: "row" }} spacing={1.5} sx={{ mb: 1.5 }}>
        <TextField
          size="small"
          fullWidth
          placeholder="Search by qualified name, e.g. shop.public.orders"
          value={text}
          onChange={(e) => setText(e.target.value)}
          slotProps={{
            htmlInput: { "aria-label": "Search assets", maxLength: 200 },
            input: {
              startAdornment: (
                <InputAdornment position="start">
                  <SearchIcon fontSize="small" />
                </InputAdornment>
              ),
            },
          }}
        />
        <TextField
          select
          size="small"
          label="Connection"
          value={params.connector ? String(params.connector) : ""}
          onChange={(e) => update({ ...params, connector: e.target.value ? Number(e.target.value) : undefined, page: 0 })}
          sx={{ minWidth: { md: 240 } }}
          slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
        >
          <MenuItem value="">All connections</MenuItem>
          {params.connector && !connections.data?.connections.some((c) => c.id === params.connector) && (
            <MenuItem value={String(params.connector)}>Connection {params.connector}</MenuItem>
          )}
          {connections.data?.connections.map((c) => (
            <MenuItem key={c.id} value={String(c.id)}>
              {c.name}
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1, mb: 2 }} role="group" aria-label="Asset type">
        <Chip label="All types" color={params.type ? "default" : "primary"} variant={params.type ? "outlined" : "filled"} onClick={() => update({ ...params, type: undefined, page: 0 })} aria-pressed={!params.type} />
        {ASSET_TYPES.map((t) => (
          <Chip
            key={t}
            label={humanize(t)}
            color={params.type === t ? "primary" : "default"}
            variant={params.type === t ? "filled" : "outlined"}
            onClick={() => update({ ...params, type: params.type === t ? undefined : t, page: 0 })}
            aria-pressed={params.type === t}
          />
        ))}
      </Stack>
      {assets.isPending && <Loading label="Loading assets…" />}
      {assets.isError && <ErrorState error={assets.error} onRetry={() => void assets.refetch()} />}
      {assets.data && assets.data.assets.length === 0 && (
        <Empty
          title={filtered ? "No asset matches" : "No assets yet"}
          action={filtered ? <Button onClick={() => { setText(""); setSearchParams(new URLSearchParams()); }}>Clear search and filters</Button> : undefined}
        >
          {filtered ? "Try other words or another type." : "Scan a connection to catalog its tables, views and files."}
        </Empty>
      )}
      {assets.data && assets.data.assets.length > 0 && (
        <Paper sx={{ opacity: assets.isPlaceholderData ? 0.6 : 1 }}>
          <TableContainer>
            <Table size="small" aria-label="Assets">
              <TableHead>
                <TableRow>
                  <TableCell>Asset</TableCell>
                  <TableCell>Type</TableCell>
                  <TableCell sx={WIDE_ONLY}>Source</TableCell>
                  <TableCell align="right" sx={WIDE_ONLY}>Columns</TableCell>
                  <TableCell sx={WIDE_ONLY}>Tags</TableCell>
                  <TableCell>Last changed</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {assets.data.assets.map((a) => (
                  <TableRow key={a.id} hover>
                    <TableCell sx={{ maxWidth: { xs: 200, md: 420 } }}>
                      <Link component={RouterLink} to={`/assets/${a.id}`} underline="hover" noWrap sx={{ display: "block", fontWeight: 500 }} title={a.qualified_name}>
                        {a.qualified_name || a.name}
                      </Link>
                      <Typography variant="caption" color="text.secondary" noWrap component="div" title={a.urn}>
                        {a.business_metadata.description ?? a.source_comment ?? a.urn}
                      </Typography>
                    </TableCell>
                    <TableCell sx={{ whiteSpace: "nowrap" }}>
                      {humanize(a.type)}
                      {a.deleted && <Chip label="deleted" size="small" variant="outlined" sx={{ ml: 0.5 }} />}
                    </TableCell>
                    <TableCell sx={WIDE_ONLY}>{a.source_name || "—"}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{a.columns.length ? formatNumber(a.columns.length) : "—"}</TableCell>
                    <TableCell sx={WIDE_ONLY}>
                      {a.business_metadata.tags.slice(0, 3).map((t) => (
                        <Chip key={t} label={t} size="small" sx={{ mr: 0.5 }} />
                      ))}
                    </TableCell>
                    <TableCell title={formatDate(a.last_changed)} sx={{ whiteSpace: "nowrap" }}>
                      {formatAgo(a.last_changed)}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={assets.data.pagination.total}
            page={params.page ?? 0}
            rowsPerPage={assets.data.pagination.size}
            rowsPerPageOptions={[assets.data.pagination.size]}
            onPageChange={(_, page) => update({ ...params, page })}
          />
        </Paper>
      )}
    </>
  );
}
