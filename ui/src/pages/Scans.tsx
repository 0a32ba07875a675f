// Scan runs, newest first; polls every 5 s while one runs, every 30 s otherwise.
// Uses GET /api/scans and POST /api/discovery/trigger.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import { Link, Paper, Table, TableBody, TableCell, TableContainer, TableHead, TablePagination, TableRow, Typography } from "@mui/material";

import { useScans } from "../api/hooks";
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
  const running = scans.data?.scans.some((s) => s.status === "running") ?? false;
  return (
    <>
      <PageHeader
        title="Scans"
        subtitle={running ? "A scan is running; this page refreshes every 5 seconds" : "Every discovery run, newest first"}
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
                    <TableCell>
                      <StatusChip status={s.status} />
                    </TableCell>
                    <TableCell title={formatDate(s.started_at)}>{formatAgo(s.started_at)}</TableCell>
                    <TableCell align="right" sx={WIDE_ONLY}>{s.status === "running" ? "…" : formatDuration(s.duration_ms)}</TableCell>
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
