// Managed connections: list, create, edit, test, scan now, delete.
// Uses GET/POST /api/connections, PUT/DELETE /api/connections/{id},
// POST /api/connections/test-config, /{id}/test and /{id}/scan.

import { useState } from "react";
import { Link as RouterLink } from "react-router";
import {
  Alert,
  Button,
  Card,
  CardActions,
  CardContent,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Link,
  Snackbar,
  Stack,
  Typography,
} from "@mui/material";
import Grid from "@mui/material/Grid";
import AddIcon from "@mui/icons-material/Add";

import { errorText } from "../api/client";
import { useConnections, useDeleteConnection, useScanConnection, useTestConnection } from "../api/hooks";
import type { Connection, ConnectionTest } from "../api/types";
import { useCan } from "../api/auth";
import { ConnectionDialog } from "../components/ConnectionDialog";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { StatusChip } from "../components/StatusChip";
import { TestResult } from "../components/TestResult";
import { connectorSpec } from "../lib/connectors";
import { formatAgo } from "../lib/format";

type Notice = { severity: "success" | "error"; text: string; scanId?: number };

function ConnectionCard({ connection: c, onEdit, onDelete, onNotice }: { connection: Connection; onEdit: () => void; onDelete: () => void; onNotice: (n: Notice) => void }) {
  const canOperate = useCan("operate");
  const test = useTestConnection();
  const scan = useScanConnection();
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const spec = connectorSpec(c.connector_type);
  const where = c.connector_type === "local" ? c.config.root : c.config.account || c.config.endpoint;
  return (
    <Card component="article" aria-label={`Connection ${c.name}`} sx={{ height: "100%", display: "flex", flexDirection: "column" }}>
      <CardContent sx={{ flexGrow: 1 }}>
        <Stack direction="row" sx={{ justifyContent: "space-between", alignItems: "flex-start", gap: 1 }}>
          <div style={{ minWidth: 0 }}>
            <Typography variant="h2" sx={{ overflowWrap: "anywhere" }}>
              {c.name}
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {spec.label}
              {c.connection_type && c.connection_type !== "none" ? ` · ${c.connection_type.replace(/_/g, " ")}` : ""}
            </Typography>
          </div>
          <StatusChip status={c.status} />
        </Stack>
        <Typography variant="body2" sx={{ mt: 1, overflowWrap: "anywhere", fontFamily: "monospace" }}>
          {where ?? ""}
          {c.config.containers.length > 0 ? ` → ${c.config.containers.join(", ")}` : ""}
        </Typography>
        <Stack direction="row" sx={{ flexWrap: "wrap", gap: 0.5, mt: 1 }}>
          {c.environment && <Chip size="small" label={c.environment} />}
          {c.data_source_type && <Chip size="small" label={c.data_source_type} />}
          <Chip size="small" variant="outlined" label={c.schedule ? `schedule ${c.schedule}` : "manual scans"} />
          {Object.keys(c.secrets).map((s) => (
            <Chip key={s} size="small" variant="outlined" label={`${s} ***`} />
          ))}
        </Stack>
        <Typography variant="caption" color={c.last_test_error ? "error" : "text.secondary"} component="p" sx={{ mt: 1, overflowWrap: "anywhere" }}>
          {c.last_tested_at ? `Tested ${formatAgo(c.last_tested_at)}: ${c.last_test_error ?? "ok"}` : "Never tested"}
        </Typography>
        {result && <TestResult result={result} />}
        {test.isError && <Alert severity="error">{errorText(test.error)}</Alert>}
      </CardContent>
      {canOperate && (
      <CardActions sx={{ flexWrap: "wrap", gap: 0.5 }}>
        <Button size="small" onClick={() => test.mutate({ id: c.id }, { onSuccess: setResult })} disabled={test.isPending}>
          {test.isPending ? "Testing…" : "Test"}
        </Button>
        <Button
          size="small"
          onClick={() =>
            scan.mutate(c.id, {
              onSuccess: (r) => onNotice({ severity: "success", text: `Scan ${r.scan_id} of ${c.name} started.`, scanId: r.scan_id }),
              onError: (e) => onNotice({ severity: "error", text: `Could not scan ${c.name}: ${errorText(e)}` }),
            })
          }
          disabled={scan.isPending || c.status === "disabled"}
        >
          Scan now
        </Button>
        <Button size="small" onClick={onEdit}>
          Edit
        </Button>
        <Button size="small" color="error" onClick={onDelete}>
          Delete
        </Button>
      </CardActions>
      )}
    </Card>
  );
}

export function Connections() {
  const connections = useConnections();
  const remove = useDeleteConnection();
  const [editing, setEditing] = useState<Connection | null | "new">(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const canOperate = useCan("operate");

  const newButton = canOperate && (
    <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing("new")}>
      New connection
    </Button>
  );
  const subtitle = canOperate
    ? "Storage accounts Torro scans; secrets are stored encrypted and never shown"
    : "Storage accounts Torro scans; your role can look but not change or scan them";

  return (
    <>
      <PageHeader title="Connections" subtitle={subtitle} actions={newButton || undefined} />
      {connections.isPending && <Loading label="Loading connections…" />}
      {connections.isError && <ErrorState error={connections.error} onRetry={() => void connections.refetch()} />}
      {connections.data && connections.data.connections.length === 0 && (
        <Empty title="No connections yet" action={newButton || undefined}>
          Add a local folder, an S3 bucket, an Azure container or a GCS bucket, test it and scan it.
        </Empty>
      )}
      {connections.data && connections.data.connections.length > 0 && (
        <Grid container spacing={2}>
          {connections.data.connections.map((c) => (
            <Grid key={c.id} size={{ xs: 12, md: 6, xl: 4 }}>
              <ConnectionCard connection={c} onEdit={() => setEditing(c)} onDelete={() => setDeleting(c)} onNotice={setNotice} />
            </Grid>
          ))}
        </Grid>
      )}
      <ConnectionDialog
        open={editing !== null}
        connection={editing === "new" ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={(c) => {
          setNotice({ severity: "success", text: `Saved ${c.name}` });
          setEditing(null);
        }}
      />
      <Dialog open={deleting !== null} onClose={() => setDeleting(null)} aria-labelledby="delete-title">
        <DialogTitle id="delete-title">Delete {deleting?.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>Its settings and stored secrets are removed. Files it discovered stay in the catalog.</DialogContentText>
          {remove.isError && <Alert severity="error">{errorText(remove.error)}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDeleting(null)}>Cancel</Button>
          <Button
            color="error"
            variant="contained"
            disabled={remove.isPending}
            onClick={() =>
              deleting &&
              remove.mutate(deleting.id, {
                onSuccess: () => {
                  setNotice({ severity: "success", text: `Deleted ${deleting.name}` });
                  setDeleting(null);
                },
              })
            }
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
      <Snackbar open={notice !== null} autoHideDuration={8000} onClose={() => setNotice(null)}>
        <Alert severity={notice?.severity ?? "success"} variant="filled" onClose={() => setNotice(null)}>
          {notice?.text}{" "}
          {notice?.scanId !== undefined && (
            <Link component={RouterLink} to={`/scans/${notice.scanId}`} color="inherit">
              Follow it
            </Link>
          )}
        </Alert>
      </Snackbar>
    </>
  );
}
