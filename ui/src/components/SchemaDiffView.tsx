// One schema version's changes against the one before, coloured like a code diff:
// green added, red removed, amber changed. A sign (+, −, ~) says the same without colour.

import { Box, Stack, Typography } from "@mui/material";

import type { SchemaDiff } from "../api/types";

type Tone = "added" | "removed" | "changed";

const TONES: Record<Tone, { sign: string; color: string; bg: string }> = {
  added: { sign: "+", color: "success.main", bg: "rgba(46, 160, 67, 0.12)" },
  removed: { sign: "−", color: "error.main", bg: "rgba(248, 81, 73, 0.12)" },
  changed: { sign: "~", color: "warning.main", bg: "rgba(210, 153, 34, 0.14)" },
};

function Line({ tone, children }: { tone: Tone; children: React.ReactNode }) {
  const t = TONES[tone];
  return (
    <Box
      component="li"
      sx={{ display: "flex", gap: 1, px: 1, py: 0.25, bgcolor: t.bg, borderLeft: 3, borderColor: t.color, fontFamily: "monospace", fontSize: 13 }}
    >
      <Box component="span" sx={{ color: t.color, fontWeight: 700 }} aria-label={tone}>
        {t.sign}
      </Box>
      <Box component="span" sx={{ overflowWrap: "anywhere" }}>
        {children}
      </Box>
    </Box>
  );
}

export function SchemaDiffView({ diff }: { diff: SchemaDiff }) {
  const empty =
    diff.added.length + diff.removed.length + diff.type_changed.length + diff.nullability_changed.length === 0 && !diff.reordered;
  if (empty) {
    return (
      <Typography variant="body2" color="text.secondary">
        No column changes
      </Typography>
    );
  }
  const nullText = (nullable: boolean) => (nullable ? "nullable" : "not null");
  return (
    <Stack component="ul" spacing={0.5} sx={{ listStyle: "none", p: 0, m: 0 }}>
      {diff.added.map((c) => (
        <Line key={`a-${c.name}`} tone="added">
          {c.name}: {c.type}
          {c.nullable ? "" : " not null"}
        </Line>
      ))}
      {diff.removed.map((c) => (
        <Line key={`r-${c.name}`} tone="removed">
          {c.name}: {c.type}
        </Line>
      ))}
      {diff.type_changed.map((c) => (
        <Line key={`t-${c.name}`} tone="changed">
          {c.name}: {c.from} → {c.to}
        </Line>
      ))}
      {diff.nullability_changed.map((c) => (
        <Line key={`n-${c.name}`} tone="changed">
          {c.name}: {nullText(c.from)} → {nullText(c.to)}
        </Line>
      ))}
      {diff.reordered && (
        <Line tone="changed">columns reordered</Line>
      )}
    </Stack>
  );
}
