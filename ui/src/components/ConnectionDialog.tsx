// Create or edit a connection. Fields follow the connector type and auth method; secret
// fields are write-only: they start empty, and on edit an empty one keeps the stored value.
// "Test" tries the settings on the server (POST /api/connections/test-config) before saving.

import { useState, type FormEvent } from "react";
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  MenuItem,
  Stack,
  TextField,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";

import { errorText } from "../api/client";
import { useSaveConnection, useTestConnection } from "../api/hooks";
import type { Connection, ConnectionRequest } from "../api/types";
import { CONNECTORS, authSpec, connectorSpec, cronShapeError, splitList } from "../lib/connectors";
import { TestResult } from "./TestResult";

interface FormState {
  name: string;
  connector_type: string;
  auth: string;
  account: string;
  root: string;
  containers: string;
  folders: string;
  file_extensions: string;
  endpoint: string;
  region: string;
  options: Record<string, string>;
  secrets: Record<string, string>;
  schedule: string;
  status: string;
  environment: string;
  env_type: string;
  data_source_type: string;
  tags: string;
}

function initialState(c: Connection | null): FormState {
  if (!c) {
    return {
      name: "",
      connector_type: "local",
      auth: "none",
      account: "",
      root: "",
      containers: "",
      folders: "",
      file_extensions: "",
      endpoint: "",
      region: "",
      options: {},
      secrets: {},
      schedule: "",
      status: "active",
      environment: "",
      env_type: "",
      data_source_type: "",
      tags: "",
    };
  }
  return {
    name: c.name,
    connector_type: c.connector_type,
    auth: c.connection_type || connectorSpec(c.connector_type).auth[0]!.value,
    account: c.config.account ?? "",
    root: c.config.root ?? "",
    containers: c.config.containers.join(", "),
    folders: c.config.folders.join(", "),
    file_extensions: c.config.file_extensions.join(", "),
    endpoint: c.config.endpoint ?? "",
    region: c.config.region ?? "",
    options: { ...c.config.options },
    secrets: {},
    schedule: c.schedule ?? "",
    status: c.status,
    environment: c.environment,
    env_type: c.env_type,
    data_source_type: c.data_source_type,
    tags: c.tags.join(", "),
  };
}

/** The request body: only the chosen type's fields; secrets only when typed. */
export function toRequest(form: FormState): ConnectionRequest {
  const spec = connectorSpec(form.connector_type);
  const auth = authSpec(spec, form.auth);
  // Keep option keys this form does not know (max_retries, use_emulator...), drop the
  // known ones of other auth methods.
  const known = new Set(spec.auth.flatMap((a) => a.options.map((o) => o.key)));
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.options)) {
    if (!known.has(k) && v.trim() !== "") options[k] = v.trim();
  }
  for (const o of auth.options) {
    const v = form.options[o.key]?.trim();
    if (v) options[o.key] = v;
  }
  const secrets: Record<string, string> = {};
  for (const s of auth.secrets) {
    const v = form.secrets[s.key];
    if (v) secrets[s.key] = v;
  }
  return {
    name: form.name.trim(),
    connector_type: form.connector_type,
    connection_type: auth.value,
    config: {
      account: spec.account ? form.account.trim() || null : null,
      root: spec.root ? form.root.trim() || null : null,
      containers: splitList(form.containers),
      folders: splitList(form.folders),
      file_extensions: splitList(form.file_extensions).map((e) => e.replace(/^\./, "")),
      endpoint: spec.endpoint ? form.endpoint.trim() || null : null,
      region: spec.region ? form.region.trim() || null : null,
      options,
    },
    secrets,
    status: form.status,
    schedule: form.schedule.trim() || null,
    environment: form.environment.trim(),
    env_type: form.env_type.trim(),
    data_source_type: form.data_source_type.trim(),
    tags: splitList(form.tags),
  };
}

export interface ConnectionDialogProps {
  open: boolean;
  connection: Connection | null;
  onClose: () => void;
  onSaved: (c: Connection) => void;
}

export function ConnectionDialog(props: ConnectionDialogProps) {
  return props.open ? <ConnectionForm {...props} /> : null;
}

function ConnectionForm({ connection, onClose, onSaved }: ConnectionDialogProps) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [form, setForm] = useState<FormState>(() => initialState(connection));
  const [touched, setTouched] = useState(false);
  const save = useSaveConnection();
  const test = useTestConnection();
  const spec = connectorSpec(form.connector_type);
  const auth = authSpec(spec, form.auth);
  const editing = connection !== null;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const stored = (key: string) => editing && connection.secrets[key] !== undefined;

  const problems: Record<string, string> = {};
  if (!form.name.trim()) problems.name = "Give the connection a name";
  if (spec.root && !form.root.trim()) problems.root = "The absolute folder that holds the data";
  if (spec.containersRequired && splitList(form.containers).length === 0) problems.containers = `At least one of the ${spec.containersLabel.toLowerCase()}`;
  if (spec.account && !form.account.trim() && form.auth !== "connection_string" && !form.options.use_emulator) problems.account = "The storage account name";
  for (const o of auth.options) if (o.required && !form.options[o.key]?.trim()) problems[`option.${o.key}`] = `${o.label} is needed for ${auth.label.toLowerCase()}`;
  for (const s of auth.secrets) if (s.required && !form.secrets[s.key] && !stored(s.key)) problems[`secret.${s.key}`] = `${s.label} is needed for ${auth.label.toLowerCase()}`;
  const cron = cronShapeError(form.schedule);
  if (cron) problems.schedule = cron;
  const valid = Object.keys(problems).length === 0;
  const show = (key: string) => (touched ? problems[key] : undefined);

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (!valid) return;
    save.mutate({ id: connection?.id ?? null, body: toRequest(form) }, { onSuccess: (c) => onSaved(c) });
  }

  function runTest() {
    setTouched(true);
    if (!valid) return;
    test.mutate({ body: toRequest(form) });
  }

  return (
    <Dialog open onClose={save.isPending ? undefined : onClose} fullScreen={fullScreen} fullWidth maxWidth="md" aria-labelledby="connection-title">
      {/* display: contents keeps the dialog's own layout, so a long form scrolls between a fixed title and buttons. */}
      <form onSubmit={submit} noValidate style={{ display: "contents" }}>
        <DialogTitle id="connection-title">{editing ? `Edit ${connection.name}` : "New connection"}</DialogTitle>
        <DialogContent dividers>
          <Stack spacing={2}>
            {save.isError && (
              <Alert severity="error" role="alert">
                Could not save: {errorText(save.error)}
              </Alert>
            )}
            <Box sx={{ display: "grid", gap: 2, gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr" } }}>
              <TextField label="Name" value={form.name} onChange={(e) => set("name", e.target.value)} required error={!!show("name")} helperText={show("name") ?? "Unique, e.g. finance-lake"} />
              <TextField
                select
                label="Type"
                value={form.connector_type}
                onChange={(e) => {
                  const next = connectorSpec(e.target.value);
                  setForm((f) => ({ ...f, connector_type: next.type, auth: next.auth[0]!.value }));
                }}
                disabled={editing}
                helperText={editing ? "The type of a saved connection stays" : " "}
              >
                {CONNECTORS.map((c) => (
                  <MenuItem key={c.type} value={c.type}>
                    {c.label}
                  </MenuItem>
                ))}
              </TextField>
              {spec.root && (
                <TextField label="Root folder" value={form.root} onChange={(e) => set("root", e.target.value)} required error={!!show("root")} helperText={show("root") ?? "Absolute path on the server, e.g. /data/lake"} />
              )}
              {spec.account && (
                <TextField label="Storage account" value={form.account} onChange={(e) => set("account", e.target.value)} error={!!show("account")} helperText={show("account") ?? " "} />
              )}
              <TextField
                label={spec.containersLabel}
                value={form.containers}
                onChange={(e) => set("containers", e.target.value)}
                required={spec.containersRequired}
                error={!!show("containers")}
                helperText={show("containers") ?? (spec.root ? "Comma-separated; empty = the root itself" : "Comma-separated")}
              />
              <TextField label="Folders (prefixes)" value={form.folders} onChange={(e) => set("folders", e.target.value)} helperText="Comma-separated; empty = everything" />
              <TextField label="File extensions" value={form.file_extensions} onChange={(e) => set("file_extensions", e.target.value)} helperText="e.g. csv, parquet; empty = every format" />
              {spec.region && <TextField label="Region" value={form.region} onChange={(e) => set("region", e.target.value)} helperText="e.g. eu-west-1" />}
              {spec.endpoint && <TextField label="Endpoint" value={form.endpoint} onChange={(e) => set("endpoint", e.target.value)} helperText="Only for compatible stores and emulators" />}
            </Box>

            {spec.auth.length > 1 && (
              <>
                <Divider />
                <Typography variant="h3">Authentication</Typography>
                <Box sx={{ display: "grid", gap: 2, gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr" } }}>
                  <TextField select label="Method" value={auth.value} onChange={(e) => set("auth", e.target.value)}>
                    {spec.auth.map((a) => (
                      <MenuItem key={a.value} value={a.value}>
                        {a.label}
                      </MenuItem>
                    ))}
                  </TextField>
                  {auth.options.map((o) => (
                    <TextField
                      key={o.key}
                      label={o.label}
                      value={form.options[o.key] ?? ""}
                      onChange={(e) => set("options", { ...form.options, [o.key]: e.target.value })}
                      required={o.required}
                      error={!!show(`option.${o.key}`)}
                      helperText={show(`option.${o.key}`) ?? o.help ?? " "}
                    />
                  ))}
                  {auth.secrets.map((s) => (
                    <TextField
                      key={s.key}
                      label={s.label}
                      type="password"
                      autoComplete="new-password"
                      value={form.secrets[s.key] ?? ""}
                      onChange={(e) => set("secrets", { ...form.secrets, [s.key]: e.target.value })}
                      required={s.required && !stored(s.key)}
                      placeholder={stored(s.key) ? "•••••• stored" : undefined}
                      slotProps={{ inputLabel: { shrink: stored(s.key) || undefined } }}
                      error={!!show(`secret.${s.key}`)}
                      helperText={show(`secret.${s.key}`) ?? (stored(s.key) ? "Stored encrypted; leave empty to keep it" : (s.help ?? "Stored encrypted, never shown again"))}
                    />
                  ))}
                </Box>
              </>
            )}

            <Divider />
            <Typography variant="h3">Labels and schedule</Typography>
            <Box sx={{ display: "grid", gap: 2, gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr" } }}>
              <TextField label="Environment" value={form.environment} onChange={(e) => set("environment", e.target.value)} helperText="e.g. production" />
              <TextField label="Environment type" value={form.env_type} onChange={(e) => set("env_type", e.target.value)} helperText="e.g. prod, dev" />
              <TextField label="Data source" value={form.data_source_type} onChange={(e) => set("data_source_type", e.target.value)} helperText="e.g. finance" />
              <TextField label="Tags" value={form.tags} onChange={(e) => set("tags", e.target.value)} helperText="Comma-separated" />
              <TextField
                label="Schedule"
                value={form.schedule}
                onChange={(e) => set("schedule", e.target.value)}
                placeholder="0 2 * * *"
                error={!!show("schedule")}
                helperText={show("schedule") ?? "Cron, 5 fields (minute hour day month weekday); empty = manual only"}
              />
              <TextField select label="Status" value={form.status} onChange={(e) => set("status", e.target.value)} helperText="A disabled connection is not scanned">
                <MenuItem value="active">Active</MenuItem>
                <MenuItem value="disabled">Disabled</MenuItem>
              </TextField>
            </Box>
            {test.isError && <Alert severity="error">Could not test: {errorText(test.error)}</Alert>}
            {test.data && <TestResult result={test.data} />}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ flexWrap: "wrap", gap: 1 }}>
          <Button onClick={runTest} disabled={test.isPending}>
            {test.isPending ? "Testing…" : "Test"}
          </Button>
          <Box sx={{ flexGrow: 1 }} />
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={save.isPending}>
            {save.isPending ? "Saving…" : editing ? "Save" : "Create"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
