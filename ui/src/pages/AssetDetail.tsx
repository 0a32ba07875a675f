// One asset: what it is and where it lives, its columns, business metadata (editable for
// database objects), technical and operational metadata, definition, lineage and schema
// history. Uses GET/PATCH /api/assets/{id}, GET /api/assets/{id}/schema-history and
// GET /api/lineage/graph.

import { Link as RouterLink, useLocation, useNavigate, useParams } from "react-router";
import {
  Box,
  Breadcrumbs,
  Button,
  Chip,
  Link,
  Paper,
  Stack,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Tabs,
  Typography,
} from "@mui/material";

import { ApiError } from "../api/client";
import { useAsset, useAssetSchemaHistory } from "../api/hooks";
import type { Asset, AssetColumn } from "../api/types";
import { BusinessMetadataEditor } from "../components/BusinessMetadataEditor";
import { KeyValues } from "../components/KeyValues";
import { LineagePanel } from "../components/LineagePanel";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { SchemaDiffView } from "../components/SchemaDiffView";
import { isAssetId } from "../lib/assetUrl";
import { formatDate, humanize } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";
import { NotFound } from "./NotFound";

const TABS = ["columns", "lineage", "history", "details"] as const;
type TabName = (typeof TABS)[number];

export function AssetDetailPage() {
  const { id } = useParams();
  return isAssetId(id) ? <AssetDetailView id={id} /> : <NotFound />;
}

/** A metadata object as key-value rows; nested values as compact JSON. */
export function metadataItems(meta: Record<string, unknown> | null | undefined): [string, string][] {
  if (!meta || typeof meta !== "object") return [];
  return Object.entries(meta)
    .filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [humanize(k), typeof v === "object" ? JSON.stringify(v) : String(v)]);
}

function ColumnsTable({ columns }: { columns: AssetColumn[] }) {
  return (
    <TableContainer sx={{ maxHeight: 600 }}>
      <Table size="small" stickyHeader aria-label="Columns">
        <TableHead>
          <TableRow>
            <TableCell>Column</TableCell>
            <TableCell>Type</TableCell>
            <TableCell sx={WIDE_ONLY}>Nullable</TableCell>
            <TableCell sx={WIDE_ONLY}>Default</TableCell>
            <TableCell sx={WIDE_ONLY}>Comment</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {columns.map((c) => (
            <TableRow key={c.name} hover>
              <TableCell>
                <Typography component="span" variant="body2" sx={{ fontFamily: "monospace", fontWeight: 600 }}>
                  {c.name}
                </Typography>
                {c.is_pk && <Chip label="PK" size="small" color="primary" variant="outlined" sx={{ ml: 1 }} title="Primary key" />}
                {c.comment && (
                  <Typography variant="caption" color="text.secondary" component="div" sx={{ display: { md: "none" }, whiteSpace: "normal" }}>
                    {c.comment}
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={{ fontFamily: "monospace", wordBreak: "break-word" }}>
                {c.type}
                {!c.nullable && (
                  <Typography variant="caption" color="text.secondary" component="div" sx={{ display: { md: "none" } }}>
                    not null
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={WIDE_ONLY}>
                {c.nullable ? (
                  <Typography variant="body2" color="text.secondary">
                    nullable
                  </Typography>
                ) : (
                  <Chip label="not null" size="small" variant="outlined" />
                )}
              </TableCell>
              <TableCell sx={{ ...WIDE_ONLY, fontFamily: "monospace" }}>{c.default ?? "—"}</TableCell>
              <TableCell sx={{ ...WIDE_ONLY, whiteSpace: "normal", minWidth: 160 }}>{c.comment ?? "—"}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function History({ id }: { id: string }) {
  const history = useAssetSchemaHistory(id);
  if (history.isPending) return <Loading label="Loading the schema history…" />;
  if (history.isError) return <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  if (history.data.length === 0) {
    return <Empty title="No schema history">{id.startsWith("dataset-") ? "A dataset's history is kept by its files." : "No columns have been recorded yet."}</Empty>;
  }
  return (
    <Stack spacing={1.5}>
      {[...history.data].reverse().map((v) => (
        <Paper key={v.version} sx={{ p: 2 }} component="section" aria-label={`Version ${v.version}`}>
          <Stack direction="row" sx={{ justifyContent: "space-between", flexWrap: "wrap", gap: 1, mb: 1 }}>
            <Typography variant="h3">Version {v.version}</Typography>
            <Typography variant="body2" color="text.secondary">
              {formatDate(v.observed_at)}
              {v.scan_id !== null && (
                <>
                  {" · "}
                  <Link component={RouterLink} to={`/scans/${v.scan_id}`} underline="hover">
                    scan {v.scan_id}
                  </Link>
                </>
              )}
            </Typography>
          </Stack>
          {v.diff ? (
            <SchemaDiffView diff={v.diff} />
          ) : (
            <Typography variant="body2" color="text.secondary">
              First seen with {v.schema.fields.length} column{v.schema.fields.length === 1 ? "" : "s"}
            </Typography>
          )}
        </Paper>
      ))}
    </Stack>
  );
}

function Details({ a }: { a: Asset }) {
  const technical = metadataItems(a.technical_metadata);
  const operational = metadataItems(a.operational_metadata);
  return (
    <Stack spacing={1.5}>
      <Paper sx={{ p: 2 }} component="section" aria-label="Catalog facts">
        <KeyValues
          items={[
            ["Id", a.id],
            ["URN", <Box component="span" sx={{ fontFamily: "monospace" }}>{a.urn}</Box>],
            ["Catalog", a.catalog || "—"],
            ["Schema", a.schema || "—"],
            ["Source", a.source_name || "—"],
            [
              "Connection",
              a.connector_id !== null ? (
                <Link component={RouterLink} to="/connections" underline="hover">
                  connection {a.connector_id}
                </Link>
              ) : (
                "—"
              ),
            ],
            ["Discovered", formatDate(a.discovered_at)],
            ["Last seen", formatDate(a.last_seen)],
            ["Last changed", formatDate(a.last_changed)],
            ["Schema hash", a.schema_hash ?? "—"],
          ]}
        />
      </Paper>
      <Typography variant="h3">Technical metadata</Typography>
      <Paper sx={{ p: 2 }}>{technical.length ? <KeyValues items={technical} /> : <Typography variant="body2" color="text.secondary">None recorded</Typography>}</Paper>
      <Typography variant="h3">Operational metadata</Typography>
      <Paper sx={{ p: 2 }}>{operational.length ? <KeyValues items={operational} /> : <Typography variant="body2" color="text.secondary">None recorded</Typography>}</Paper>
    </Stack>
  );
}

function AssetDetailView({ id }: { id: string }) {
  const asset = useAsset(id);
  const { hash } = useLocation();
  const navigate = useNavigate();
  const tab: TabName = (TABS as readonly string[]).includes(hash.slice(1)) ? (hash.slice(1) as TabName) : "columns";

  if (asset.isPending) return <Loading label="Loading the asset…" rows={5} />;
  if (asset.isError) {
    if (asset.error instanceof ApiError && asset.error.status === 404) {
      return (
        <Empty title={`Asset ${id} does not exist`} action={<Button component={RouterLink} to="/assets">All assets</Button>}>
          The link may be wrong, or the asset was removed.
        </Empty>
      );
    }
    return <ErrorState error={asset.error} onRetry={() => void asset.refetch()} />;
  }
  const a = asset.data;
  const fileId = id.startsWith("file-") ? id.slice(5) : null;
  const datasetId = id.startsWith("dataset-") ? id.slice(8) : null;
  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }} aria-label="Breadcrumb">
        <Link component={RouterLink} to="/assets" underline="hover">
          Assets
        </Link>
        <Typography color="text.primary" noWrap sx={{ maxWidth: 240 }}>
          {a.name}
        </Typography>
      </Breadcrumbs>
      <PageHeader
        title={a.qualified_name || a.name}
        subtitle={<Box component="span" sx={{ fontFamily: "monospace" }}>{a.urn}</Box>}
        actions={
          <>
            <Chip label={humanize(a.type)} color="primary" variant="outlined" />
            {a.deleted && <Chip label="Deleted" color="warning" variant="outlined" />}
            {fileId && (
              <Button component={RouterLink} to={`/discoveries/${fileId}`} size="small">
                Open the file's review
              </Button>
            )}
            {datasetId && (
              <Button component={RouterLink} to={`/datasets/${datasetId}`} size="small">
                Open the dataset
              </Button>
            )}
          </>
        }
      />
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5 }}>
        {a.source_name ? `From ${a.source_name} · ` : ""}last changed {formatDate(a.last_changed)}
      </Typography>
      <Stack spacing={2}>
        <BusinessMetadataEditor asset={a} editable={id.startsWith("db-")} />
        <Box>
          <Tabs
            value={tab}
            onChange={(_, value: TabName) => void navigate({ hash: value === "columns" ? "" : value }, { replace: true })}
            variant="scrollable"
            allowScrollButtonsMobile
            aria-label="Asset sections"
            sx={{ borderBottom: 1, borderColor: "divider", mb: 2 }}
          >
            <Tab value="columns" label={`Columns (${a.columns.length})`} />
            <Tab value="lineage" label="Lineage" />
            <Tab value="history" label="Schema history" />
            <Tab value="details" label="Details" />
          </Tabs>
          {tab === "columns" && (
            <Stack spacing={2}>
              {a.columns.length ? (
                <Paper>
                  <ColumnsTable columns={a.columns} />
                </Paper>
              ) : (
                <Empty title="No columns">{a.type === "file" ? "The file's schema could not be read." : "This kind of asset has no columns."}</Empty>
              )}
              {a.definition && (
                <Box component="section" aria-label="Definition">
                  <Typography variant="h3" sx={{ mb: 1 }}>
                    Definition <Typography component="span" variant="caption" color="text.secondary">({a.definition.language})</Typography>
                  </Typography>
                  <Paper
                    component="pre"
                    variant="outlined"
                    sx={{ p: 2, m: 0, fontFamily: "monospace", fontSize: 13, overflowX: "auto", whiteSpace: "pre", maxHeight: 480 }}
                  >
                    {a.definition.text}
                  </Paper>
                </Box>
              )}
            </Stack>
          )}
          {tab === "lineage" && <LineagePanel urn={a.urn} />}
          {tab === "history" && <History id={a.id} />}
          {tab === "details" && <Details a={a} />}
        </Box>
      </Stack>
    </>
  );
}
