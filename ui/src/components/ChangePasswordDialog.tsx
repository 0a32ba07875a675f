// "Change password" from the user menu: the current password, the new one twice.
// The server checks the current one and its password rules; their message is shown.

import { useState, type FormEvent } from "react";
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, useMediaQuery, useTheme } from "@mui/material";

import { ApiError, errorText } from "../api/client";
import { useChangePassword } from "../api/auth";

/** The server's rule (torro-server auth/password.rs); it checks again. */
export const MIN_PASSWORD = 10;

export function ChangePasswordDialog({ open, onClose, onChanged }: { open: boolean; onClose: () => void; onChanged: () => void }) {
  return open ? <ChangePasswordForm onClose={onClose} onChanged={onChanged} /> : null;
}

function ChangePasswordForm({ onClose, onChanged }: { onClose: () => void; onChanged: () => void }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [touched, setTouched] = useState(false);
  const change = useChangePassword();

  const tooShort = next.length < MIN_PASSWORD;
  const mismatch = next !== again;
  const missingCurrent = current === "";

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (tooShort || mismatch || missingCurrent) return;
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          onChanged();
          onClose();
        },
      },
    );
  }

  const error =
    // The server answers 403 for a wrong current password (401 would mean no session).
    change.error instanceof ApiError && (change.error.status === 403 || change.error.status === 401)
      ? "The current password is wrong"
      : change.error
        ? errorText(change.error)
        : null;

  return (
    <Dialog open onClose={change.isPending ? undefined : onClose} fullScreen={fullScreen} fullWidth maxWidth="xs" aria-labelledby="password-title">
      <form onSubmit={submit} noValidate style={{ display: "contents" }}>
        <DialogTitle id="password-title">Change password</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {error && (
              <Alert severity="error" role="alert">
                {error}
              </Alert>
            )}
            <TextField
              label="Current password"
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
              required
              autoFocus
              error={touched && missingCurrent}
              helperText={touched && missingCurrent ? "Enter your current password" : " "}
            />
            <TextField
              label="New password"
              type="password"
              autoComplete="new-password"
              value={next}
              onChange={(e) => setNext(e.target.value)}
              required
              error={touched && tooShort}
              helperText={`At least ${MIN_PASSWORD} characters`}
            />
            <TextField
              label="New password again"
              type="password"
              autoComplete="new-password"
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              required
              error={touched && mismatch}
              helperText={touched && mismatch ? "The two new passwords differ" : " "}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={change.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={change.isPending}>
            {change.isPending ? "Saving…" : "Change password"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
