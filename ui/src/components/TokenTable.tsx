// A table of API tokens with a Revoke button (after a confirmation). Used for one's own
// tokens (/settings/tokens) and, with the owner column, for all of them (/admin/users).

import { useState } from "react";
import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";

import { errorText } from "../api/client";
import { useRevokeToken } from "../api/auth";
import type { ApiToken } from "../api/types";
import { formatAgo, formatDate, formatDay } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";

export function tokenState(t: ApiToken, now = Date.now()): "revoked" | "expired" | "active" {
  if (t.revoked_at) return "revoked";
  if (t.expires_at && Date.parse(t.expires_at) <= now) return "expired";
  return "active";
}

const STATE_COLOR = { active: "success", expired: "warning", revoked: "default" } as const;

function When({ at, empty }: { at: string | null; empty: string }) {
  return at ? <span title={formatDate(at)}>{formatAgo(at)}</span> : <Typography component="span" variant="body2" color="text.secondary">{empty}</Typography>;
}

export function TokenTable({ tokens, showOwner = false, label }: { tokens: ApiToken[]; showOwner?: boolean; label: string }) {
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const revoke = useRevokeToken();

  const close = () => {
    setRevoking(null);
    revoke.reset();
  };

  return (
    <>
      <Paper>
        <TableContainer>
          <Table size="small" aria-label={label}>
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                {showOwner && <TableCell>User</TableCell>}
                <TableCell sx={WIDE_ONLY}>Prefix</TableCell>
                <TableCell sx={WIDE_ONLY}>Created</TableCell>
                <TableCell sx={WIDE_ONLY}>Expires</TableCell>
                <TableCell sx={WIDE_ONLY}>Last used</TableCell>
                <TableCell>Status</TableCell>
                <TableCell align="right">
                  <Box component="span" sx={{ position: "absolute", left: -9999 }}>
                    Actions
                  </Box>
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {tokens.map((t) => {
                const state = tokenState(t);
                return (
                  <TableRow key={t.id} hover sx={state === "active" ? undefined : { "& td": { color: "text.secondary" } }}>
                    <TableCell sx={{ overflowWrap: "anywhere", whiteSpace: "normal", minWidth: 100 }}>{t.name}</TableCell>
                    {showOwner && <TableCell>{t.username}</TableCell>}
                    <TableCell sx={{ ...WIDE_ONLY, fontFamily: "monospace" }}>{t.prefix}…</TableCell>
                    <TableCell sx={WIDE_ONLY}>
                      <When at={t.created_at} empty="—" />
                    </TableCell>
                    <TableCell sx={WIDE_ONLY}>{t.expires_at ? <span title={formatDate(t.expires_at)}>{formatDay(t.expires_at)}</span> : "Never"}</TableCell>
                    <TableCell sx={WIDE_ONLY}>
                      <When at={t.last_used_at} empty="Never used" />
                    </TableCell>
                    <TableCell>
                      <Chip
                        size="small"
                        color={STATE_COLOR[state]}
                        variant="outlined"
                        label={state}
                        title={state === "revoked" && t.revoked_at ? `Revoked ${formatDate(t.revoked_at)}` : undefined}
                      />
                    </TableCell>
                    <TableCell align="right">
                      {state !== "revoked" && (
                        <Button size="small" color="error" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
      <Dialog open={revoking !== null} onClose={revoke.isPending ? undefined : close} aria-labelledby="revoke-title">
        <DialogTitle id="revoke-title">Revoke “{revoking?.name}”?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            Scripts and tools that use this token ({revoking?.prefix}…{showOwner && revoking ? `, of ${revoking.username}` : ""}) stop working at once. This cannot be undone.
          </DialogContentText>
          {revoke.isError && (
            <Alert severity="error" role="alert" sx={{ mt: 2 }}>
              {errorText(revoke.error)}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={revoke.isPending}>
            Keep it
          </Button>
          <Button
            color="error"
            variant="contained"
            disabled={revoke.isPending}
            onClick={() => revoking && revoke.mutate(revoking.id, { onSuccess: close })}
          >
            {revoke.isPending ? "Revoking…" : "Revoke"}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
