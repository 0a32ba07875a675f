import { Chip, type ChipProps } from "@mui/material";

import { humanize } from "../lib/format";

const COLORS: Record<string, ChipProps["color"]> = {
  // approval
  pending: "warning",
  approved: "success",
  rejected: "error",
  published: "info",
  archived: "default",
  // file
  active: "success",
  error: "error",
  deleted: "default",
  // scan
  queued: "secondary",
  running: "info",
  cancelled: "default",
  succeeded: "success",
  failed: "error",
  // connection
  disabled: "default",
};

/** A status as a coloured chip; the text stays readable without the colour. */
export function StatusChip({ status, size = "small" }: { status: string; size?: ChipProps["size"] }) {
  return <Chip label={humanize(status)} color={COLORS[status] ?? "default"} size={size} variant="outlined" />;
}
