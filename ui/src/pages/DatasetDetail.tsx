// One dataset: its facts, its schema and its files.
// Uses GET /api/datasets/{id} and GET /api/datasets/{id}/files.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import {
  Alert,
  Breadcrumbs,
  Button,
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
  Typography,
} from "@mui/material";

import { ApiError } from "../api/client";
import { useDataset, useDatasetFiles } from "../api/hooks";
import { KeyValues } from "../components/KeyValues";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { SchemaTable } from "../components/SchemaTable";
import { StatusChip } from "../components/StatusChip";
import { formatAgo, formatBytes, formatDate, formatNumber, humanize } from "../lib/format";
import { useIdParam } from "../lib/useId";
import { NotFound } from "./NotFound";

export function DatasetDetailPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <DatasetDetailView id={id} />;
}

function DatasetFiles({ id }: { id: number }) {
  const [page, setPage] = useState(0);
  const files = useDatasetFiles(id, page);
  if (files.isPending) return <Loading label="Loading files…" />;
  if (files.isError) return <ErrorState error={files.error} onRetry={() => void files.refetch()} />;
  if (files.data.discoveries.length === 0) return <Empty title="No files">Its files were deleted.</Empty>;
  return (
    <Paper>
      <TableContainer>
        <Table size="small" aria-label="Files of the dataset">
          <TableHead>
            <TableRow>
              <TableCell>File</TableCell>
              <TableCell>Partition</TableCell>
              <TableCell align="right">Size</TableCell>
              <TableCell>Status</TableCell>
              <TableCell>Last changed</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {files.data.discoveries.map((f) => (
              <TableRow key={f.id} hover>
                <TableCell sx={{ maxWidth: 360 }}>
                  <Link component={RouterLink} to={`/discoveries/${f.id}`} underline="hover" noWrap sx={{ display: "block" }} title={f.path}>
                    {f.path}
                  </Link>
                </TableCell>
                <TableCell>{f.partition_values?.map((p) => `${p.column}=${p.value}`).join(", ") || "—"}</TableCell>
                <TableCell align="right">{formatBytes(f.size)}</TableCell>
                <TableCell>
                  <StatusChip status={f.approval_status} />
                </TableCell>
                <TableCell>{formatAgo(f.last_changed)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      <TablePagination
        component="div"
        count={files.data.pagination.total}
        page={page}
        rowsPerPage={files.data.pagination.size}
        rowsPerPageOptions={[files.data.pagination.size]}
        onPageChange={(_, p) => setPage(p)}
      />
    </Paper>
  );
}

function DatasetDetailView({ id }: { id: number }) {
  const dataset = useDataset(id);
  if (dataset.isPending) return <Loading label="Loading the dataset…" rows={5} />;
  if (dataset.isError) {
    if (dataset.error instanceof ApiError && dataset.error.status === 404) {
      return (
        <Empty title={`Dataset ${id} does not exist`} action={<Button component={RouterLink} to="/datasets">All datasets</Button>}>
          The link may be wrong.
        </Empty>
      );
    }
    return <ErrorState error={dataset.error} onRetry={() => void dataset.refetch()} />;
  }
  const d = dataset.data;
  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }} aria-label="Breadcrumb">
        <Link component={RouterLink} to="/datasets" underline="hover">
          Datasets
        </Link>
        <Typography color="text.primary" noWrap sx={{ maxWidth: 240 }}>
          {d.path || d.container}
        </Typography>
      </Breadcrumbs>
      <PageHeader title={d.path || d.container} subtitle={d.urn} />
      <Stack spacing={2}>
        {d.distinct_schema_count > 1 && (
          <Alert severity="warning">Its files have {d.distinct_schema_count} different schemas; the one shown is the most recently changed file's.</Alert>
        )}
        <Paper sx={{ p: 2 }}>
          <KeyValues
            items={[
              ["Storage", `${humanize(d.storage_type)}${d.account ? ` · ${d.account}` : ""} · ${d.container}`],
              ["Partition columns", d.partition_columns.join(", ") || "none (part files)"],
              ["Partitions", formatNumber(d.partition_count)],
              ["Files", `${formatNumber(d.file_count)}${d.deleted_file_count ? ` (+${formatNumber(d.deleted_file_count)} deleted)` : ""}`],
              ["Size", formatBytes(d.total_size)],
              ["Formats", d.formats.join(", ") || "—"],
              ["First seen", formatDate(d.first_seen)],
              ["Last changed", formatDate(d.last_changed)],
            ]}
          />
        </Paper>
        <Typography variant="h2">Schema</Typography>
        {d.schema ? (
          <Paper>
            <SchemaTable fields={d.schema.fields} />
          </Paper>
        ) : (
          <Empty title="No schema">None of its files could be read.</Empty>
        )}
        <Typography variant="h2">Files</Typography>
        <DatasetFiles id={id} />
      </Stack>
    </>
  );
}
