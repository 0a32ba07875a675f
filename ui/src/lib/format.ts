// Numbers, sizes and dates for people.

const numberFormat = new Intl.NumberFormat("en");

export const formatNumber = (n: number | null | undefined) => (n === null || n === undefined ? "—" : numberFormat.format(n));

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
}

/** The day only: "Nov 23, 2026". */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString("en", { dateStyle: "medium" });
}

/** "3 min ago", "in 2 h", falling back to the date after a week. */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((now - t) / 1000);
  const abs = Math.abs(seconds);
  const say = (n: number, unit: string) => (seconds >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 45) return seconds >= 0 ? "just now" : "in a moment";
  if (abs < 3600) return say(Math.round(abs / 60), "min");
  if (abs < 86400) return say(Math.round(abs / 3600), "h");
  if (abs < 7 * 86400) return say(Math.round(abs / 86400), "d");
  return formatDate(iso);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Label text: `azure_blob` → `Azure blob`; empty → `(none)`. */
export function humanize(value: string | null | undefined): string {
  if (!value) return "(none)";
  const text = value.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const STORAGE_LABELS: Record<string, string> = { local: "Local", s3: "S3", azure_blob: "Azure Blob", gcs: "GCS" };

/** A facet value as people write it: `CSV`, `Azure Blob`, `Pending`. */
export function valueLabel(field: string, value: string): string {
  if (field === "format") return value === "unknown" ? "Unknown" : value.toUpperCase();
  if (field === "storage" || field === "storage_type") return STORAGE_LABELS[value] ?? humanize(value);
  return humanize(value);
}
