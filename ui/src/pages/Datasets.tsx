// Logical datasets: partitioned folders and folders of part files, rolled up from files.
// Uses GET /api/datasets.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import {
  InputAdornment,
  Link,
  Paper,
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

import { useDatasets } from "../api/hooks";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { formatAgo, formatBytes, formatNumber } from "../lib/format";
import { useDebounced } from "../lib/useDebounced";

export function Datasets() {
  const [page, setPage] = useState(0);
  const [text, setText] = useState("");
  const search = useDebounced(text.trim(), 300);
  const datasets = useDatasets(page, search);
  return (
    <>
      <PageHeader title="Datasets" subtitle="Partitioned folders and folders of part files, each seen as one dataset" />
      <TextField
        size="small"
        fullWidth
        placeholder="Search datasets by file name, path or column"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setPage(0);
        }}
        sx={{ mb: 2 }}
        slotProps={{
          htmlInput: { "aria-label": "Search datasets", maxLength: 200 },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
          },
        }}
      />
      {datasets.isPending && <Loading label="Loading datasets…" />}
      {datasets.isError && <ErrorState error={datasets.error} onRetry={() => void datasets.refetch()} />}
      {datasets.data && datasets.data.datasets.length === 0 && (
        <Empty title={search ? "No dataset matches" : "No datasets yet"}>
          {search ? "Try other words." : "Folders like sales/year=2024/month=01/ or part-0001.parquet files roll up into datasets when scanned."}
        </Empty>
      )}
      {datasets.data && datasets.data.datasets.length > 0 && (
        <Paper>
          <TableContainer>
            <Table size="small" aria-label="Datasets">
              <TableHead>
                <TableRow>
                  <TableCell>Dataset</TableCell>
                  <TableCell>Partitions</TableCell>
                  <TableCell align="right">Files</TableCell>
                  <TableCell align="right">Size</TableCell>
                  <TableCell>Formats</TableCell>
                  <TableCell>Schemas</TableCell>
                  <TableCell>Last changed</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {datasets.data.datasets.map((d) => (
                  <TableRow key={d.id} hover>
                    <TableCell sx={{ maxWidth: 380 }}>
                      <Link component={RouterLink} to={`/datasets/${d.id}`} underline="hover" sx={{ display: "block", fontWeight: 500 }} noWrap>
                        {d.path || d.container}
                      </Link>
                      <Typography variant="caption" color="text.secondary" noWrap component="div" title={d.urn}>
                        {d.urn}
                      </Typography>
                    </TableCell>
                    <TableCell>{d.partition_columns.length > 0 ? `${d.partition_columns.join(", ")} (${formatNumber(d.partition_count)})` : "part files"}</TableCell>
                    <TableCell align="right">{formatNumber(d.file_count)}</TableCell>
                    <TableCell align="right">{formatBytes(d.total_size)}</TableCell>
                    <TableCell>{d.formats.join(", ") || "—"}</TableCell>
                    <TableCell sx={{ color: d.distinct_schema_count > 1 ? "warning.main" : undefined }}>
                      {d.distinct_schema_count > 1 ? `${d.distinct_schema_count} differ` : "consistent"}
                    </TableCell>
                    <TableCell>{formatAgo(d.last_changed)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={datasets.data.pagination.total}
            page={page}
            rowsPerPage={datasets.data.pagination.size}
            rowsPerPageOptions={[datasets.data.pagination.size]}
            onPageChange={(_, p) => setPage(p)}
          />
        </Paper>
      )}
    </>
  );
}
