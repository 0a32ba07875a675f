// Lineage of one dataset URN as two lists: upstream (what feeds it) and downstream (what
// it feeds), 1-3 hops, optionally as of a past date. Each node links to its asset when the
// catalog has one; each edge shows its column mappings and how it was learnt.
// Uses GET /api/lineage/graph (and GET /api/assets to find a database node's asset).

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import {
  Box,
  Chip,
  Link,
  List,
  ListItem,
  MenuItem,
  Paper,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import Grid from "@mui/material/Grid";

import { useAssetByUrn, useLineage } from "../api/hooks";
import { nodeAssetId } from "../lib/assetUrl";
import { formatDate } from "../lib/format";
import { lineageLists, mappingText, type LineageRow } from "../lib/lineage";
import { Empty, ErrorState, Loading } from "./QueryState";

function NodeName({ row }: { row: LineageRow }) {
  const known = nodeAssetId(row.node);
  // Database objects carry no catalog id in the graph: look their URN up among the assets.
  const lookup = useAssetByUrn(row.node.urn, row.node.name, known === null);
  const id = known ?? lookup.data?.id ?? null;
  // The catalog's qualified name reads better than a URN path (`tmp/shop.db/main.orders`).
  const text = lookup.data?.qualified_name || row.node.name;
  return id ? (
    <Link component={RouterLink} to={`/assets/${id}`} underline="hover" sx={{ fontWeight: 500, overflowWrap: "anywhere" }} title={row.node.urn}>
      {text}
    </Link>
  ) : (
    <Typography component="span" sx={{ fontWeight: 500, overflowWrap: "anywhere" }} title="Not in the catalog">
      {text}
    </Typography>
  );
}

function Row({ row }: { row: LineageRow }) {
  return (
    <ListItem divider sx={{ display: "block", px: 2, py: 1 }}>
      <Stack direction="row" sx={{ alignItems: "baseline", gap: 1, flexWrap: "wrap" }}>
        <NodeName row={row} />
        <Chip label={row.hops === 1 ? "direct" : `${row.hops} hops`} size="small" variant="outlined" />
      </Stack>
      <Typography variant="caption" color="text.secondary" component="div" sx={{ overflowWrap: "anywhere" }}>
        {row.node.urn}
      </Typography>
      {row.edges.map((e) => {
        const process = row.processes.find((p) => p.urn === e.process);
        return (
          <Box key={e.id} sx={{ mt: 0.5, pl: 1, borderLeft: 2, borderColor: "divider" }}>
            <Typography variant="caption" color="text.secondary" component="div">
              {e.relationship} · {e.origin.replace(/_/g, " ")}
              {process ? ` · via ${process.process_type ? `${process.process_type} ` : ""}${process.name}` : ""}
              {e.confidence < 1 ? ` · confidence ${Math.round(e.confidence * 100)}%` : ""}
              {` · since ${formatDate(e.valid_from)}`}
              {e.valid_to ? ` until ${formatDate(e.valid_to)}` : ""}
            </Typography>
            {e.columns.length > 0 && (
              <Box component="ul" sx={{ listStyle: "none", p: 0, m: 0, fontFamily: "monospace", fontSize: 12.5 }} aria-label="Column mappings">
                {e.columns.map((m) => (
                  <li key={`${m.source_column}-${m.target_column}`}>{mappingText(m)}</li>
                ))}
              </Box>
            )}
          </Box>
        );
      })}
    </ListItem>
  );
}

function Side({ title, rows, empty }: { title: string; rows: LineageRow[]; empty: string }) {
  return (
    <Paper component="section" aria-label={title} sx={{ height: "100%" }}>
      <Typography variant="h3" sx={{ px: 2, pt: 1.5, pb: 0.5 }}>
        {title} ({rows.length})
      </Typography>
      {rows.length === 0 ? (
        <Typography variant="body2" color="text.secondary" sx={{ px: 2, pb: 2 }}>
          {empty}
        </Typography>
      ) : (
        <List dense disablePadding>
          {rows.map((r) => (
            <Row key={r.node.urn} row={r} />
          ))}
        </List>
      )}
    </Paper>
  );
}

export function LineagePanel({ urn }: { urn: string }) {
  const [depth, setDepth] = useState(1);
  const [asOf, setAsOf] = useState("");
  const graph = useLineage({ urn, direction: "both", depth, as_of: asOf || undefined });
  const lists = graph.data ? lineageLists(graph.data) : null;
  return (
    <Stack spacing={1.5}>
      <Stack direction="row" spacing={1.5} sx={{ flexWrap: "wrap", gap: 1.5, "& > *": { m: "0 !important" } }}>
        <TextField select size="small" label="Depth" value={depth} onChange={(e) => setDepth(Number(e.target.value))} sx={{ width: 120 }}>
          {[1, 2, 3].map((d) => (
            <MenuItem key={d} value={d}>
              {d === 1 ? "1 hop" : `${d} hops`}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          type="date"
          label="As of"
          value={asOf}
          onChange={(e) => setAsOf(e.target.value)}
          helperText={asOf ? undefined : "Empty: now"}
          slotProps={{ inputLabel: { shrink: true } }}
        />
      </Stack>
      {graph.isPending && <Loading label="Loading lineage…" rows={2} />}
      {graph.isError && <ErrorState error={graph.error} onRetry={() => void graph.refetch()} />}
      {lists && graph.data && graph.data.nodes.length <= 1 && (
        <Empty title="No lineage recorded">
          {asOf ? "Nothing fed it or read from it on that date." : "Views, SQL, OpenLineage events, dbt and folder rules record lineage; none names this asset yet."}
        </Empty>
      )}
      {lists && graph.data && graph.data.nodes.length > 1 && (
        <Grid container spacing={1.5} sx={{ opacity: graph.isPlaceholderData ? 0.6 : 1 }}>
          <Grid size={{ xs: 12, md: 6 }}>
            <Side title="Upstream" rows={lists.upstream} empty="Nothing feeds it." />
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Side title="Downstream" rows={lists.downstream} empty="Nothing reads from it." />
          </Grid>
        </Grid>
      )}
      {graph.data?.truncated && (
        <Typography variant="caption" color="text.secondary">
          The graph was cut at the server's node limit.
        </Typography>
      )}
    </Stack>
  );
}
