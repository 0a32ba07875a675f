import { useState } from "react";
import { Alert, Button, Link, Snackbar } from "@mui/material";
import PlayIcon from "@mui/icons-material/PlayArrowRounded";
import { Link as RouterLink } from "react-router";

import { errorText } from "../api/client";
import { useTriggerScan } from "../api/hooks";
import { useCan } from "../api/auth";

/** Starts a scan of every configured source and links to it (for roles that may operate). */
export function TriggerScanButton() {
  return useCan("operate") ? <TriggerScan /> : null;
}

function TriggerScan() {
  const trigger = useTriggerScan();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        variant="contained"
        startIcon={<PlayIcon />}
        disabled={trigger.isPending}
        onClick={() => trigger.mutate(undefined, { onSettled: () => setOpen(true) })}
      >
        {trigger.isPending ? "Starting…" : "Run discovery"}
      </Button>
      <Snackbar open={open} autoHideDuration={8000} onClose={() => setOpen(false)} anchorOrigin={{ vertical: "bottom", horizontal: "center" }}>
        {trigger.isError ? (
          <Alert severity="error" onClose={() => setOpen(false)} variant="filled">
            Could not start a scan: {errorText(trigger.error)}
          </Alert>
        ) : (
          <Alert severity="success" onClose={() => setOpen(false)} variant="filled">
            Scan {trigger.data?.scan_id} started.{" "}
            <Link component={RouterLink} to={`/scans/${trigger.data?.scan_id ?? ""}`} color="inherit">
              Follow it
            </Link>
          </Alert>
        )}
      </Snackbar>
    </>
  );
}
