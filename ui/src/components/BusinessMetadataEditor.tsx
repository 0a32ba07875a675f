// What people say about an asset: description, tags and owners. Shows them, and edits
// them in a dialog that PATCHes /api/assets/{id} (audited as the signed-in user, whom the
// server knows from the session); the server's error shows in the dialog.

import { useState } from "react";
import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Paper,
  Stack,
  TextField,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import EditIcon from "@mui/icons-material/EditOutlined";

import { errorText } from "../api/client";
import { usePatchAsset } from "../api/hooks";
import type { Asset, AssetPatch } from "../api/types";
import { useCan, useMe } from "../api/auth";

/** "a, b ,, c" → ["a", "b", "c"], without repeats. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean))];
}

/** The PATCH body: only what changed (the server records who from the session). */
export function patchBody(asset: Asset, form: { description: string; tags: string; owners: string; comment: string }): AssetPatch {
  const b = asset.business_metadata;
  const body: AssetPatch = {};
  const description = form.description.trim();
  if (description !== (b.description ?? "")) body.description = description || null;
  const tags = splitList(form.tags);
  if (tags.join("\n") !== b.tags.join("\n")) body.tags = tags;
  const owners = splitList(form.owners);
  if (owners.join("\n") !== b.owners.join("\n")) body.owners = owners;
  if (form.comment.trim()) body.comment = form.comment.trim();
  return body;
}

function Chips({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        {empty}
      </Typography>
    );
  }
  return (
    <Stack direction="row" sx={{ flexWrap: "wrap", gap: 0.5 }}>
      {items.map((t) => (
        <Chip key={t} label={t} size="small" />
      ))}
    </Stack>
  );
}

export function BusinessMetadataEditor({ asset, editable: editableAsset }: { asset: Asset; editable: boolean }) {
  // Only roles with edit_metadata get the Edit button; the server refuses the rest anyway.
  const editable = useCan("edit_metadata") && editableAsset;
  const b = asset.business_metadata;
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down("sm"));
  const save = usePatchAsset();
  const [open, setOpen] = useState(false);
  const me = useMe();
  const [form, setForm] = useState({ description: "", tags: "", owners: "", comment: "" });
  const start = () => {
    save.reset();
    setForm({ description: b.description ?? "", tags: b.tags.join(", "), owners: b.owners.join(", "), comment: "" });
    setOpen(true);
  };
  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate({ id: asset.id, body: patchBody(asset, form) }, { onSuccess: () => setOpen(false) });
  };

  return (
    <Paper sx={{ p: 2 }} component="section" aria-label="Business metadata">
      <Stack direction="row" sx={{ justifyContent: "space-between", alignItems: "flex-start", gap: 1 }}>
        <Box sx={{ minWidth: 0 }}>
          <Typography variant="body1" sx={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} color={b.description ? "text.primary" : "text.secondary"}>
            {b.description ?? asset.source_comment ?? "No description yet."}
          </Typography>
          {!b.description && asset.source_comment && (
            <Typography variant="caption" color="text.secondary">
              (the source's own comment)
            </Typography>
          )}
        </Box>
        {editable && (
          <Button size="small" startIcon={<EditIcon />} onClick={start} sx={{ flexShrink: 0 }}>
            Edit
          </Button>
        )}
      </Stack>
      <Box
        component="dl"
        sx={{ display: "grid", gridTemplateColumns: { xs: "1fr", sm: "90px 1fr" }, columnGap: 2, rowGap: 1, m: 0, mt: 1.5, alignItems: "center" }}
      >
        <Typography component="dt" variant="body2" color="text.secondary">
          Tags
        </Typography>
        <Box component="dd" sx={{ m: 0 }}>
          <Chips items={b.tags} empty="none" />
        </Box>
        <Typography component="dt" variant="body2" color="text.secondary">
          Owners
        </Typography>
        <Box component="dd" sx={{ m: 0 }}>
          <Chips items={b.owners} empty="nobody yet" />
        </Box>
        {b.glossary_terms.length > 0 && (
          <>
            <Typography component="dt" variant="body2" color="text.secondary">
              Glossary
            </Typography>
            <Box component="dd" sx={{ m: 0 }}>
              <Chips items={b.glossary_terms} empty="" />
            </Box>
          </>
        )}
      </Box>
      <Dialog open={open} onClose={() => setOpen(false)} fullScreen={phone} fullWidth maxWidth="sm" aria-labelledby="edit-asset-title">
        <form onSubmit={submit} noValidate>
          <DialogTitle id="edit-asset-title">Describe {asset.name}</DialogTitle>
          <DialogContent>
            <Stack spacing={2} sx={{ mt: 1 }}>
              <TextField label="Description" multiline minRows={3} value={form.description} onChange={set("description")} slotProps={{ htmlInput: { maxLength: 10000 } }} />
              <TextField label="Tags" helperText="Separated by commas" value={form.tags} onChange={set("tags")} />
              <TextField label="Owners" helperText="Names or e-mail addresses, separated by commas" value={form.owners} onChange={set("owners")} />
              {me.data && (
                <Typography variant="body2" color="text.secondary">
                  as <strong>{me.data.user.display_name?.trim() || me.data.user.username}</strong> ({me.data.user.role}), recorded in the audit log
                </Typography>
              )}
              <TextField label="Why (optional)" value={form.comment} onChange={set("comment")} />
              {save.isError && <Alert severity="error">{errorText(save.error)}</Alert>}
            </Stack>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="contained" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogActions>
        </form>
      </Dialog>
    </Paper>
  );
}
