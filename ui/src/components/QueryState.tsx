// Loading, error and empty states, the same on every page.

import type { ReactNode } from "react";
import { Alert, AlertTitle, Box, Button, CircularProgress, Paper, Skeleton, Stack, Typography } from "@mui/material";
import InboxIcon from "@mui/icons-material/InboxOutlined";

import { errorText } from "../api/client";

export function Loading({ label = "Loading…", rows = 3 }: { label?: string; rows?: number }) {
  return (
    <Box role="status" aria-live="polite" aria-label={label} sx={{ py: 2 }}>
      <Stack direction="row" spacing={1.5} sx={{ alignItems: "center", mb: 1.5 }}>
        <CircularProgress size={18} />
        <Typography variant="body2" color="text.secondary">
          {label}
        </Typography>
      </Stack>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} variant="rounded" height={28} sx={{ mb: 1 }} />
      ))}
    </Box>
  );
}

export function ErrorState({ error, title = "Could not load this", onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  return (
    <Alert
      severity="error"
      sx={{ my: 2 }}
      action={
        onRetry ? (
          <Button color="inherit" size="small" onClick={onRetry}>
            Retry
          </Button>
        ) : undefined
      }
    >
      <AlertTitle>{title}</AlertTitle>
      {errorText(error)}
    </Alert>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Paper sx={{ p: 4, textAlign: "center", my: 1 }}>
      <InboxIcon color="disabled" sx={{ fontSize: 40 }} />
      <Typography variant="h3" sx={{ mt: 1 }}>
        {title}
      </Typography>
      {children && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
          {children}
        </Typography>
      )}
      {action && <Box sx={{ mt: 2 }}>{action}</Box>}
    </Paper>
  );
}
