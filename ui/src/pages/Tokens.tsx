// Personal API tokens for scripts and the CLI: list, create (the secret is shown once),
// revoke. Uses GET/POST /api/tokens and DELETE /api/tokens/{id}.

import { useState, type FormEvent } from "react";
import {
  Alert,
  AlertTitle,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  InputAdornment,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import AddIcon from "@mui/icons-material/Add";
import CopyIcon from "@mui/icons-material/ContentCopyOutlined";

import { errorText } from "../api/client";
import { useCreateToken, useTokens } from "../api/auth";
import type { CreatedToken } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { TokenTable } from "../components/TokenTable";

const EXPIRY_CHOICES = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 3650, label: "10 years" },
];
// Every token expires: the server allows 1 to 3650 days (90 when not said).

export function Tokens() {
  const tokens = useTokens();
  const [creating, setCreating] = useState(false);
  const newButton = (
    <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)}>
      New token
    </Button>
  );
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="For scripts and the CLI: send one as “Authorization: Bearer …”. A token can do what your role can do."
        actions={newButton}
      />
      {tokens.isPending && <Loading label="Loading your tokens…" />}
      {tokens.isError && <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {tokens.data && tokens.data.tokens.length === 0 && (
        <Empty title="No API tokens yet" action={newButton}>
          Create one to call the Torro API from a script.
        </Empty>
      )}
      {tokens.data && tokens.data.tokens.length > 0 && <TokenTable tokens={tokens.data.tokens} label="Your API tokens" />}
      <NewTokenDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function NewTokenDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return open ? <NewTokenForm onClose={onClose} /> : null;
}

function NewTokenForm({ onClose }: { onClose: () => void }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [name, setName] = useState("");
  const [days, setDays] = useState(90);
  const [touched, setTouched] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useCreateToken();
  const nameMissing = name.trim() === "";

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (nameMissing) return;
    create.mutate({ name: name.trim(), expires_in_days: days }, { onSuccess: setCreated });
  }

  return (
    <Dialog open onClose={create.isPending ? undefined : onClose} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="token-title">
      {created ? (
        <>
          <DialogTitle id="token-title">Token “{created.info.name}” created</DialogTitle>
          <DialogContent>
            <Alert severity="warning" sx={{ mb: 2 }}>
              <AlertTitle>Copy it now</AlertTitle>
              You will not see this token again. Store it somewhere safe, such as a password manager or your CI's secrets.
            </Alert>
            <ShownToken token={created.token} />
          </DialogContent>
          <DialogActions>
            <Button variant="contained" onClick={onClose}>
              Done
            </Button>
          </DialogActions>
        </>
      ) : (
        <form onSubmit={submit} noValidate style={{ display: "contents" }}>
          <DialogTitle id="token-title">New API token</DialogTitle>
          <DialogContent>
            <Stack spacing={2} sx={{ mt: 1 }}>
              {create.isError && (
                <Alert severity="error" role="alert">
                  {errorText(create.error)}
                </Alert>
              )}
              <TextField
                label="Name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                required
                autoFocus
                slotProps={{ htmlInput: { maxLength: 100 } }}
                error={touched && nameMissing}
                helperText={touched && nameMissing ? "Name it after what uses it, e.g. “nightly export”" : "What uses it, e.g. “nightly export”"}
              />
              <TextField select label="Expires after" value={days} onChange={(e) => setDays(Number(e.target.value))}>
                {EXPIRY_CHOICES.map((c) => (
                  <MenuItem key={c.days} value={c.days}>
                    {c.label}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose} disabled={create.isPending}>
              Cancel
            </Button>
            <Button type="submit" variant="contained" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create token"}
            </Button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

function ShownToken({ token }: { token: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host, or denied): the text is selectable.
      setCopied(false);
    }
  };
  return (
    <Box>
      <TextField
        label="Your new token"
        value={token}
        fullWidth
        onFocus={(e) => e.target.select()}
        slotProps={{
          htmlInput: { readOnly: true, spellCheck: false, style: { fontFamily: "monospace" } },
          input: {
            endAdornment: (
              <InputAdornment position="end">
                <Tooltip title={copied ? "Copied" : "Copy to the clipboard"}>
                  <IconButton onClick={() => void copy()} aria-label="Copy the token" edge="end">
                    <CopyIcon />
                  </IconButton>
                </Tooltip>
              </InputAdornment>
            ),
          },
        }}
      />
      <Typography variant="caption" color={copied === false ? "error" : "text.secondary"} role="status" sx={{ display: "block", mt: 0.5, minHeight: 20 }}>
        {copied === true ? "Copied to the clipboard." : copied === false ? "Could not copy: select the text and copy it yourself." : " "}
      </Typography>
    </Box>
  );
}
