// Approve or reject one or more discoveries as the signed-in user (the server records who
// and their role): asks for a comment and, to reject, the reason. A refused transition
// (409) shows the API's message for that file; the others still go through.

import { useState, type FormEvent } from "react";
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";

import { errorText } from "../api/client";
import { useReview, type ReviewAction } from "../api/hooks";
import { useMe } from "../api/auth";

export type ReviewKind = "approve" | "reject";

export interface ReviewDialogProps {
  kind: ReviewKind;
  ids: number[];
  /** Shown in the title for a single file. */
  name?: string;
  open: boolean;
  onClose: () => void;
  /** Called with the ids that went through. */
  onDone: (succeeded: number[]) => void;
}

export function ReviewDialog(props: ReviewDialogProps) {
  // A fresh form per opening: remount when it opens.
  return props.open ? <ReviewForm {...props} /> : null;
}

function ReviewForm({ kind, ids: idsAtOpening, name, onClose, onDone }: ReviewDialogProps) {
  // The files chosen when the dialog opened, even as the caller's selection changes.
  const [ids] = useState(idsAtOpening);
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const me = useMe();
  const [comments, setComments] = useState("");
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [failures, setFailures] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const review = useReview();

  const verb = kind === "approve" ? "Approve" : "Reject";
  const what = ids.length === 1 ? (name ?? `discovery ${ids[0]}`) : `${ids.length} discoveries`;
  const reasonMissing = kind === "reject" && reason.trim() === "";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (reasonMissing) return;
    setBusy(true);
    const optional = { comments: comments.trim() || undefined };
    const action: ReviewAction =
      kind === "approve" ? { kind, body: { ...optional } } : { kind, body: { rejection_reason: reason.trim(), ...optional } };
    const ok: number[] = [];
    const failed: string[] = [];
    // One at a time: the API has no bulk endpoint, and a burst of writes gains nothing on SQLite.
    for (const id of ids) {
      try {
        await review.mutateAsync({ id, action });
        ok.push(id);
      } catch (e) {
        failed.push(ids.length === 1 ? errorText(e) : `#${id}: ${errorText(e)}`);
      }
    }
    setBusy(false);
    setFailures(failed);
    if (ok.length > 0) onDone(ok);
    if (failed.length === 0) onClose();
  }

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="review-title">
      {/* display: contents keeps the dialog's own layout, so a long form scrolls between a fixed title and buttons. */}
      <form onSubmit={submit} noValidate style={{ display: "contents" }}>
        <DialogTitle id="review-title" sx={{ overflowWrap: "anywhere" }}>
          {verb} {what}
        </DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {failures.length > 0 && (
              <Alert severity="error" role="alert">
                {failures.length === 1 ? failures[0] : `${failures.length} could not be changed:`}
                {failures.length > 1 && (
                  <ul style={{ margin: "4px 0 0", paddingLeft: 18 }}>
                    {failures.map((f) => (
                      <li key={f}>{f}</li>
                    ))}
                  </ul>
                )}
              </Alert>
            )}
            {me.data && (
              <Typography variant="body2" color="text.secondary">
                as <strong>{me.data.user.display_name?.trim() || me.data.user.username}</strong> ({me.data.user.role}), recorded in the audit trail
              </Typography>
            )}
            {kind === "reject" && (
              <TextField
                label="Rejection reason"
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                required
                autoFocus
                error={touched && reasonMissing}
                helperText={touched && reasonMissing ? "Say why, so the owner can fix it" : " "}
              />
            )}
            <TextField
              label="Comments"
              value={comments}
              onChange={(e) => setComments(e.target.value)}
              multiline
              minRows={2}
              autoFocus={kind === "approve"}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" color={kind === "approve" ? "success" : "error"} disabled={busy}>
            {busy ? "Saving…" : verb}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
