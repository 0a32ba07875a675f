// Nested columns. The API gives a column's type as Torro's type text, where a struct
// spells out its members: `struct<id: int64 not null, tags: list<string>>`. The schema
// table shows each member as a row of its own, so this reads that grammar back.

import type { Column } from "../api/types";

export interface ColumnRow {
  /** Dotted path, e.g. `customer.address.city`; `[]` marks a list item. */
  path: string;
  name: string;
  type: string;
  nullable: boolean;
  depth: number;
  /** Top-level columns have a description from the source. */
  description?: string;
}

interface Member {
  name: string;
  type: string;
  nullable: boolean;
}

/** Splits `a, b<c, d>, e` at top-level commas, respecting `<>`, `()`, `[]` and backticks. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") quoted = !quoted;
    if (quoted) continue;
    if (c === "<" || c === "(" || c === "[") depth++;
    else if (c === ">" || c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** `name: type [not null]`, the name maybe in backticks with doubled backticks inside. */
function parseMember(text: string): Member | null {
  let name: string;
  let rest: string;
  if (text.startsWith("`")) {
    let i = 1;
    let out = "";
    while (i < text.length) {
      if (text[i] === "`") {
        if (text[i + 1] === "`") {
          out += "`";
          i += 2;
          continue;
        }
        break;
      }
      out += text[i];
      i++;
    }
    name = out;
    rest = text.slice(i + 1).replace(/^\s*:\s*/, "");
  } else {
    const colon = text.indexOf(":");
    if (colon < 0) return null;
    name = text.slice(0, colon).trim();
    rest = text.slice(colon + 1).trim();
  }
  const notNull = /\snot null$/.test(rest);
  return { name, type: notNull ? rest.slice(0, -" not null".length).trim() : rest, nullable: !notNull };
}

/** The members of a `struct<...>` type, or null when the type is not a struct. */
export function structMembers(type: string): Member[] | null {
  const t = type.trim();
  if (!t.startsWith("struct<") || !t.endsWith(">")) return null;
  const inner = t.slice("struct<".length, -1);
  const members: Member[] = [];
  for (const part of splitTopLevel(inner)) {
    const member = parseMember(part);
    if (!member) return null;
    members.push(member);
  }
  return members;
}

/** The item type of `list<...>`, or null. */
export function listItem(type: string): string | null {
  const t = type.trim();
  return t.startsWith("list<") && t.endsWith(">") ? t.slice("list<".length, -1) : null;
}

function expand(path: string, type: string, depth: number, rows: ColumnRow[]) {
  let inner = type;
  let itemPath = path;
  // list<list<struct<...>>> → members under `path[][]`.
  for (let item = listItem(inner); item !== null; item = listItem(inner)) {
    inner = item;
    itemPath += "[]";
  }
  const members = structMembers(inner);
  if (!members) return;
  for (const m of members) {
    const childPath = `${itemPath}.${m.name}`;
    rows.push({ path: childPath, name: m.name, type: m.type, nullable: m.nullable, depth });
    expand(childPath, m.type, depth + 1, rows);
  }
}

/** Every column and nested member as a flat list of rows, parents before children. */
export function flattenColumns(fields: Column[]): ColumnRow[] {
  const rows: ColumnRow[] = [];
  for (const f of fields) {
    rows.push({ path: f.name, name: f.name, type: f.type, nullable: f.nullable, depth: 0, description: f.description });
    expand(f.name, f.type, 1, rows);
  }
  return rows;
}

/** `struct<…3 fields>` instead of the whole member list, for narrow cells. */
export function shortType(type: string): string {
  const members = structMembers(type);
  if (members) return `struct (${members.length} field${members.length === 1 ? "" : "s"})`;
  const item = listItem(type);
  if (item !== null && structMembers(item)) return `list<${shortType(item)}>`;
  return type;
}
