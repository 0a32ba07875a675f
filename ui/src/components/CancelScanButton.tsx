// Stops a queued or running scan after a confirmation. A scan that ended meanwhile, or
// one the command line runs, answers 409: the dialog shows the server's message.

import { useState } from "react";
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, IconButton, Tooltip } from "@mui/material";
import StopIcon from "@mui/icons-material/StopCircleOutlined";

import { errorText } from "../api/client";
import { useCancelScan } from "../api/hooks";
import { useCan } from "../api/auth";

/** Only for roles that may operate; others see no button. */
export function CancelScanButton(props: { scanId: number; compact?: boolean }) {
  return useCan("operate") ? <CancelScan {...props} /> : null;
}

function CancelScan({ scanId, compact = false }: { scanId: number; compact?: boolean }) {
  const cancel = useCancelScan();
  const [open, setOpen] = useState(false);
  const close = () => {
    setOpen(false);
    cancel.reset();
  };
  const label = `Cancel scan ${scanId}`;
  return (
    <>
      {compact ? (
        <Tooltip title={label}>
          <IconButton size="small" color="error" aria-label={label} onClick={() => setOpen(true)}>
            <StopIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      ) : (
        <Button variant="outlined" color="error" startIcon={<StopIcon />} onClick={() => setOpen(true)}>
          Cancel scan
        </Button>
      )}
      <Dialog open={open} onClose={close} aria-labelledby={`cancel-scan-${scanId}`}>
        <DialogTitle id={`cancel-scan-${scanId}`}>Cancel scan {scanId}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            A queued scan will not start; a running one stops at its next object. What it has cataloged so far stays.
          </DialogContentText>
          {cancel.isError && (
            <Alert severity="error" sx={{ mt: 2 }}>
              {errorText(cancel.error)}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>{cancel.isError ? "Close" : "Keep it running"}</Button>
          {!cancel.isError && (
            <Button color="error" variant="contained" disabled={cancel.isPending} onClick={() => cancel.mutate(scanId, { onSuccess: close })}>
              {cancel.isPending ? "Cancelling…" : "Cancel scan"}
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </>
  );
}
