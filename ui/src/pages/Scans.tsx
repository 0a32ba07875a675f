// Scan runs, newest first; live through GET /api/events (polling when the stream is down).
// Uses GET /api/scans, POST /api/discovery/trigger and POST /api/scans/{id}/cancel.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import { Link, Paper, Table, TableBody, TableCell, TableContainer, TableHead, TablePagination, TableRow, Typography } from "@mui/material";

import { isActiveScan, useScans } from "../api/hooks";
import { CancelScanButton } from "../components/CancelScanButton";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { StatusChip } from "../components/StatusChip";
import { TriggerScanButton } from "../components/TriggerScanButton";
import { formatAgo, formatDate, formatDuration, formatNumber } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";

const PAGE_SIZE = 20;

export function Scans() {
  const [page, setPage] = useState(0);
  const scans = useScans(page, PAGE_SIZE);
  const running = scans.data?.scans.some((s) => isActiveScan(s.status)) ?? false;
  return (
    <>
      <PageHeader
        title="Scans"
        subtitle={running ? "A scan is queued or running; this page follows it live" : "Every discovery run, newest first"}
        actions={<TriggerScanButton />}
      />
      {scans.isPending && <Loading label="Loading scans…" />}
      {scans.isError && <ErrorState error={scans.error} onRetry={() => void scans.refetch()} />}
      {scans.data && scans.data.scans.length === 0 && <Empty title="No scan has run yet">Run discovery to catalog your sources.</Empty>}
      {scans.data && scans.data.scans.length > 0 && (
        <Paper>
          <TableContainer>
            <Table size="small" aria-label="Scans">
              <TableHead>
                <TableRow>
                  <TableCell>Scan</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell>Started</TableCell>
                  <TableCell align="right" sx={WIDE_ONLY}>Duration</TableCell>
                  <TableCell align="right" sx={WIDE_ONLY}>Listed</TableCell>
                  <TableCell align="right">New</TableCell>
                  <TableCell align="right" sx={WIDE_ONLY}>Changed</TableCell>
                  <TableCell align="right" sx={WIDE_ONLY}>Deleted</TableCell>
                  <TableCell align="right">Failed</TableCell>
                  <TableCell sx={WIDE_ONLY}>Target</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {scans.data.scans.map((s) => (
                  <TableRow key={s.id} hover>
                    <TableCell>
                      <Link component={RouterLink} to={`/scans/${s.id}`} underline="hover">
                        #{s.id}
                      </Link>{" "}
                      <Typography component="span" variant="caption" color="text.secondary">
                        {s.trigger}
                      </Typography>
                    </TableCell>
                    <TableCell sx={{ whiteSpace: "nowrap" }}>
                      <StatusChip status={s.status} />
                      {isActiveScan(s.status) && <CancelScanButton scanId={s.id} compact />}
                    </TableCell>
                    <TableCell title={formatDate(s.started_at)}>{formatAgo(s.started_at)}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{isActiveScan(s.status) ? "…" : formatDuration(s.duration_ms)}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{formatNumber(s.counts.listed)}</TableCell>
                    <TableCell align="right">{formatNumber(s.counts.new)}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{formatNumber(s.counts.changed)}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{formatNumber(s.counts.deleted)}</TableCell>
                    <TableCell align="right" sx={{ color: s.counts.failed > 0 ? "error.main" : undefined }}>
                      {formatNumber(s.counts.failed)}
                    </TableCell>
                    <TableCell sx={WIDE_ONLY} title={s.target}>
                      <Typography variant="body2" noWrap sx={{ maxWidth: 240 }}>
                        {s.target}
                      </Typography>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={scans.data.pagination.total}
            page={page}
            rowsPerPage={PAGE_SIZE}
            rowsPerPageOptions={[PAGE_SIZE]}
            onPageChange={(_, p) => setPage(p)}
          />
        </Paper>
      )}
    </>
  );
}
