// One scan run: status, counts and the errors per file; live while it is queued or runs.
// Uses GET /api/scans/{id}, GET /api/scans/{id}/errors and POST /api/scans/{id}/cancel.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import {
  Alert,
  Box,
  Breadcrumbs,
  Button,
  LinearProgress,
  Link,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  Typography,
} from "@mui/material";
import Grid from "@mui/material/Grid";

import { ApiError } from "../api/client";
import { isActiveScan, liveStreamOpen, useScan, useScanErrors } from "../api/hooks";
import { CancelScanButton } from "../components/CancelScanButton";
import type { ScanError } from "../api/types";
import { KeyValues } from "../components/KeyValues";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { StatusChip } from "../components/StatusChip";
import { formatBytes, formatDate, formatDuration, formatNumber } from "../lib/format";
import { useIdParam } from "../lib/useId";
import { NotFound } from "./NotFound";

export function ScanDetailPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <ScanDetailView id={id} />;
}

function Count({ label, value, tone }: { label: string; value: number; tone?: "error" }) {
  return (
    <Paper sx={{ p: 1.5, textAlign: "center" }}>
      <Typography variant="h5" component="p" sx={{ fontWeight: 600, color: tone === "error" && value > 0 ? "error.main" : undefined }}>
        {formatNumber(value)}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        {label}
      </Typography>
    </Paper>
  );
}

function ScanDetailView({ id }: { id: number }) {
  const scan = useScan(id);
  const [page, setPage] = useState(0);
  // The first page of errors comes with the run; later pages from /errors.
  const more = useScanErrors(id, page, page > 0);

  if (scan.isPending) return <Loading label="Loading the scan…" rows={5} />;
  if (scan.isError) {
    if (scan.error instanceof ApiError && scan.error.status === 404) {
      return (
        <Empty title={`Scan ${id} does not exist`} action={<Button component={RouterLink} to="/scans">All scans</Button>}>
          The link may be wrong.
        </Empty>
      );
    }
    return <ErrorState error={scan.error} onRetry={() => void scan.refetch()} />;
  }
  const s = scan.data;
  const running = isActiveScan(s.status);
  const errors: ScanError[] = page === 0 ? s.errors : (more.data?.errors ?? []);
  const total = s.errors_pagination.total;

  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }} aria-label="Breadcrumb">
        <Link component={RouterLink} to="/scans" underline="hover">
          Scans
        </Link>
        <Typography color="text.primary">Scan {s.id}</Typography>
      </Breadcrumbs>
      <PageHeader title={`Scan ${s.id}`} subtitle={s.target} actions={
          <>
            <StatusChip status={s.status} size="medium" />
            {running && <CancelScanButton scanId={s.id} />}
          </>
        }
      />
      {running && (
        <Box sx={{ mb: 2 }} role="status" aria-live="polite">
          <LinearProgress aria-label="Scan in progress" variant={s.status === "queued" ? "query" : "indeterminate"} />
          <Typography variant="caption" color="text.secondary">
            {s.status === "queued" ? `Queued since ${formatDate(s.started_at)}, waiting for a worker` : `Running since ${formatDate(s.started_at)}`};{" "}
            {liveStreamOpen() ? "updates live" : "refreshing every 5 seconds"}
          </Typography>
        </Box>
      )}
      {s.message && (
        <Alert severity={s.status === "failed" ? "error" : "info"} sx={{ mb: 2 }}>
          {s.message}
        </Alert>
      )}
      <Grid container spacing={1.5} sx={{ mb: 2 }} aria-label="Counts">
        {(
          [
            ["Listed", s.counts.listed],
            ["New", s.counts.new],
            ["Changed", s.counts.changed],
            ["Unchanged", s.counts.unchanged],
            ["Deleted", s.counts.deleted],
            ["Failed", s.counts.failed, "error"],
          ] as const
        ).map(([label, value, tone]) => (
          <Grid key={label} size={{ xs: 4, sm: 2 }}>
            <Count label={label} value={value} tone={tone} />
          </Grid>
        ))}
      </Grid>
      <Paper sx={{ p: 2, mb: 2 }}>
        <KeyValues
          items={[
            ["Trigger", s.trigger],
            ["Started", formatDate(s.started_at)],
            ["Finished", running ? `still ${s.status}` : formatDate(s.finished_at)],
            ["Duration", running ? "—" : formatDuration(s.duration_ms)],
            ["Bytes read", formatBytes(s.counts.bytes_read)],
            ["Requests", formatNumber(s.counts.requests)],
          ]}
        />
      </Paper>
      <Typography variant="h2" sx={{ mb: 1 }}>
        Errors per file ({formatNumber(total)})
      </Typography>
      {total === 0 ? (
        <Empty title={running ? "No errors so far" : "No errors"}>{running ? "Files that cannot be read will show here." : "Every file this scan read was cataloged."}</Empty>
      ) : (
        <Paper>
          {page > 0 && more.isError && <ErrorState error={more.error} onRetry={() => void more.refetch()} />}
          <TableContainer>
            <Table size="small" aria-label="Errors per file">
              <TableHead>
                <TableRow>
                  <TableCell>File</TableCell>
                  <TableCell>Kind</TableCell>
                  <TableCell>What went wrong</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {errors.map((e) => (
                  <TableRow key={e.id}>
                    <TableCell sx={{ fontFamily: "monospace", whiteSpace: "normal", wordBreak: "break-all", minWidth: 160 }}>{e.path}</TableCell>
                    <TableCell>{e.kind}</TableCell>
                    <TableCell sx={{ whiteSpace: "normal", minWidth: 240 }}>{e.message}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={total}
            page={page}
            rowsPerPage={s.errors_pagination.size}
            rowsPerPageOptions={[s.errors_pagination.size]}
            onPageChange={(_, p) => setPage(p)}
          />
        </Paper>
      )}
    </>
  );
}
