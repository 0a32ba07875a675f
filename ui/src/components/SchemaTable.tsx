import { Box, Chip, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";

import type { Column } from "../api/types";
import { PHONE_ONLY, WIDE_ONLY } from "../lib/responsive";
import { flattenColumns, shortType } from "../lib/schemaType";

/** Columns with their types and nullability; struct members are indented rows under their parent. */
export function SchemaTable({ fields, label = "Schema" }: { fields: Column[]; label?: string }) {
  const rows = flattenColumns(fields);
  return (
    <TableContainer sx={{ maxHeight: 560 }}>
      <Table size="small" stickyHeader aria-label={label}>
        <TableHead>
          <TableRow>
            <TableCell>Column</TableCell>
            <TableCell>Type</TableCell>
            <TableCell sx={WIDE_ONLY}>Nullable</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row) => (
            <TableRow key={row.path} hover>
              <TableCell sx={{ pl: 2 + row.depth * 2.5 }}>
                <Typography variant="body2" component="span" sx={{ fontFamily: "monospace", fontWeight: row.depth === 0 ? 600 : 400 }}>
                  {row.depth > 0 && (
                    <Box component="span" sx={{ color: "text.disabled" }} aria-hidden>
                      └{" "}
                    </Box>
                  )}
                  {row.name}
                </Typography>
                {row.description && (
                  <Typography variant="caption" color="text.secondary" component="div" sx={{ whiteSpace: "normal" }}>
                    {row.description}
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={{ fontFamily: "monospace", whiteSpace: "normal", wordBreak: "break-word", minWidth: 120 }} title={row.type}>
                {/* Members are rows of their own below: the parent shows only its kind. */}
                {shortType(row.type)}
                {!row.nullable && (
                  <Typography variant="caption" color="text.secondary" sx={PHONE_ONLY}>
                    not null
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={WIDE_ONLY}>
                {row.nullable ? (
                  <Typography variant="body2" color="text.secondary">
                    nullable
                  </Typography>
                ) : (
                  <Chip label="not null" size="small" variant="outlined" />
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
