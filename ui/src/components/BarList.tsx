// A small horizontal bar chart of counts. Plain boxes: a chart library would
// weigh more than the rest of the page for what is a sorted list with widths.

import { Box, Link, Stack, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router";

import { formatNumber, valueLabel } from "../lib/format";

export interface BarListProps {
  counts: Record<string, number>;
  /** Link each bar to a filtered discovery list. */
  href?: (key: string) => string;
  max?: number;
  label: string;
  /** The facet these counts are of, for labels (`format` → `CSV`). */
  field?: string;
}

export function BarList({ counts, href, max = 8, label, field = "" }: BarListProps) {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        Nothing yet
      </Typography>
    );
  }
  const shown = entries.slice(0, max);
  const top = shown[0]?.[1] ?? 1;
  const rest = entries.slice(max).reduce((sum, [, n]) => sum + n, 0);
  return (
    <Stack component="ul" aria-label={label} spacing={1} sx={{ listStyle: "none", p: 0, m: 0 }}>
      {shown.map(([key, n]) => (
        <Box component="li" key={key}>
          <Stack direction="row" sx={{ justifyContent: "space-between", gap: 1 }}>
            {href ? (
              <Link component={RouterLink} to={href(key)} variant="body2" underline="hover" noWrap>
                {valueLabel(field, key)}
              </Link>
            ) : (
              <Typography variant="body2" noWrap>
                {valueLabel(field, key)}
              </Typography>
            )}
            <Typography variant="body2" color="text.secondary">
              {formatNumber(n)}
            </Typography>
          </Stack>
          <Box sx={{ height: 6, borderRadius: 3, bgcolor: "action.hover", mt: 0.5 }}>
            <Box sx={{ height: 6, borderRadius: 3, bgcolor: "primary.main", width: `${Math.max(2, (n / top) * 100)}%` }} />
          </Box>
        </Box>
      ))}
      {rest > 0 && (
        <Typography component="li" variant="caption" color="text.secondary">
          and {formatNumber(rest)} more in {entries.length - max} other group{entries.length - max === 1 ? "" : "s"}
        </Typography>
      )}
    </Stack>
  );
}
