// What changed between two JSON values, field by field, for the audit log's before/after.
// Objects are walked into dotted paths; arrays and scalars compare as whole values.

export interface DiffRow {
  /** `description`, `tags`, `discovery_info.approval_status`; "" for a whole scalar. */
  path: string;
  /** undefined: the field did not exist on that side. */
  before: unknown;
  after: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>) {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null) {
    out.set(prefix, value);
  } else if (prefix) {
    out.set(prefix, null);
  }
}

/** The fields that differ, in a stable order (before's fields first, then new ones). */
export function jsonDiff(before: unknown, after: unknown): DiffRow[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, "", a);
  flatten(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((path) => ({ path, before: a.get(path), after: b.get(path) }));
}
