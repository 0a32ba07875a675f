// At a glance: what was discovered, what waits for review, what changed, what runs.
// Uses GET /api/discovery/stats, GET /api/discovery (newest, recently changed) and GET /api/scans.

import type { ReactNode } from "react";
import { Box, Card, CardActionArea, CardContent, Link, List, ListItem, ListItemText, Paper, Stack, Typography } from "@mui/material";
import Grid from "@mui/material/Grid";
import { Link as RouterLink } from "react-router";

import { useDiscoveries, useScans, useStats } from "../api/hooks";
import { BarList } from "../components/BarList";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { StatusChip } from "../components/StatusChip";
import { TriggerScanButton } from "../components/TriggerScanButton";
import { formatAgo, formatBytes, formatDuration, formatNumber } from "../lib/format";
import { discoveriesHref } from "../lib/discoveryUrl";

function SummaryCard({ label, value, hint, to }: { label: string; value: string; hint?: string; to?: string }) {
  const content = (
    <CardContent>
      <Typography variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography variant="h4" component="p" sx={{ fontWeight: 600, mt: 0.5 }}>
        {value}
      </Typography>
      {hint && (
        <Typography variant="caption" color="text.secondary">
          {hint}
        </Typography>
      )}
    </CardContent>
  );
  return (
    <Card sx={{ height: "100%" }}>
      {to ? (
        <CardActionArea component={RouterLink} to={to} sx={{ height: "100%" }}>
          {content}
        </CardActionArea>
      ) : (
        content
      )}
    </Card>
  );
}

function Panel({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <Paper component="section" aria-label={title} sx={{ p: 2, height: "100%" }}>
      <Stack direction="row" sx={{ justifyContent: "space-between", alignItems: "baseline", mb: 1.5 }}>
        <Typography variant="h2">{title}</Typography>
        {action}
      </Stack>
      {children}
    </Paper>
  );
}

function NewestDiscoveries() {
  const newest = useDiscoveries({ size: 6, sort: "first_seen", order: "desc" });
  if (newest.isPending) return <Loading rows={2} />;
  if (newest.isError) return <ErrorState error={newest.error} onRetry={() => void newest.refetch()} />;
  if (newest.data.discoveries.length === 0) return <Typography color="text.secondary">Nothing discovered yet</Typography>;
  return (
    <List dense disablePadding>
      {newest.data.discoveries.map((d) => (
        <ListItem key={d.id} disableGutters secondaryAction={<StatusChip status={d.approval_status} />}>
          <ListItemText
            sx={{ pr: 10 }}
            primary={
              <Link component={RouterLink} to={`/discoveries/${d.id}`} underline="hover" noWrap sx={{ display: "block" }}>
                {d.name}
              </Link>
            }
            secondary={`${d.storage_type === "local" ? d.folder : `${d.container}/${d.folder}`} · ${formatBytes(d.size)} · ${formatAgo(d.first_seen)}`}
            secondaryTypographyProps={{ noWrap: true }}
          />
        </ListItem>
      ))}
    </List>
  );
}

/** Files whose content changed after they were first seen (new schema versions show on their page). */
function RecentChanges() {
  const changed = useDiscoveries({ size: 20, sort: "last_changed", order: "desc" });
  if (changed.isPending) return <Loading rows={2} />;
  if (changed.isError) return <ErrorState error={changed.error} onRetry={() => void changed.refetch()} />;
  const rows = changed.data.discoveries.filter((d) => d.last_changed !== d.first_seen).slice(0, 6);
  if (rows.length === 0) return <Typography color="text.secondary">No file changed since it was first seen</Typography>;
  return (
    <List dense disablePadding>
      {rows.map((d) => (
        <ListItem key={d.id} disableGutters>
          <ListItemText
            primary={
              <Link component={RouterLink} to={`/discoveries/${d.id}#history`} underline="hover" noWrap sx={{ display: "block" }}>
                {d.name}
              </Link>
            }
            secondary={`${d.deleted ? "deleted" : "changed"} ${formatAgo(d.last_changed)} · ${d.path}`}
            secondaryTypographyProps={{ noWrap: true }}
          />
        </ListItem>
      ))}
    </List>
  );
}

function RecentScans() {
  const scans = useScans(0, 5);
  if (scans.isPending) return <Loading rows={2} />;
  if (scans.isError) return <ErrorState error={scans.error} onRetry={() => void scans.refetch()} />;
  if (scans.data.scans.length === 0) return <Typography color="text.secondary">No scan has run yet</Typography>;
  return (
    <List dense disablePadding>
      {scans.data.scans.map((s) => (
        <ListItem key={s.id} disableGutters secondaryAction={<StatusChip status={s.status} />}>
          <ListItemText
            sx={{ pr: 11 }}
            primary={
              <Link component={RouterLink} to={`/scans/${s.id}`} underline="hover">
                Scan {s.id} ({s.trigger})
              </Link>
            }
            secondary={
              s.status === "running"
                ? `running since ${formatAgo(s.started_at)} · ${formatNumber(s.counts.listed)} listed`
                : `${formatAgo(s.started_at)} · ${formatDuration(s.duration_ms)} · ${formatNumber(s.counts.new)} new, ${formatNumber(s.counts.changed)} changed, ${formatNumber(s.counts.failed)} failed`
            }
          />
        </ListItem>
      ))}
    </List>
  );
}

export function Dashboard() {
  const stats = useStats();
  return (
    <>
      <PageHeader title="Dashboard" subtitle="What Torro has discovered, what waits for review and what runs now" actions={<TriggerScanButton />} />
      {stats.isPending && <Loading label="Loading the catalog's figures…" />}
      {stats.isError && <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />}
      {stats.data && stats.data.total === 0 && stats.data.deleted === 0 && (
        <Empty title="The catalog is empty" action={<TriggerScanButton />}>
          Add a connection or configure a source, then run discovery.
        </Empty>
      )}
      {stats.data && (
        <Grid container spacing={2}>
          <Grid size={{ xs: 6, md: 3 }}>
            <SummaryCard label="Files" value={formatNumber(stats.data.total)} hint={formatBytes(stats.data.total_size_bytes)} to="/discoveries" />
          </Grid>
          <Grid size={{ xs: 6, md: 3 }}>
            <SummaryCard
              label="Pending review"
              value={formatNumber(stats.data.by_approval_status.pending ?? 0)}
              hint="Waiting for approve or reject"
              to={discoveriesHref({ status: "pending" })}
            />
          </Grid>
          <Grid size={{ xs: 6, md: 3 }}>
            <SummaryCard
              label="Unreadable"
              value={formatNumber(stats.data.by_status.error ?? 0)}
              hint="Files whose schema could not be read"
              to={discoveriesHref({ status: "error" })}
            />
          </Grid>
          <Grid size={{ xs: 6, md: 3 }}>
            <SummaryCard
              label="Approved"
              value={formatNumber((stats.data.by_approval_status.approved ?? 0) + (stats.data.by_approval_status.published ?? 0))}
              hint={`${formatNumber(stats.data.deleted)} deleted files kept in history`}
              to={discoveriesHref({ status: "approved" })}
            />
          </Grid>
          <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
            <Panel title="By environment">
              <BarList label="Files by environment" counts={stats.data.by_environment} href={(k) => discoveriesHref({ environment: k })} />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
            <Panel title="By source">
              <BarList label="Files by data source" counts={stats.data.by_data_source} href={(k) => discoveriesHref({ data_source_type: k })} />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
            <Panel title="By format">
              <BarList label="Files by format" field="format" counts={stats.data.by_format} href={(k) => (k === "unknown" ? "/discoveries" : discoveriesHref({ format: k }))} />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
            <Panel title="Review status">
              <BarList label="Files by review status" counts={stats.data.by_approval_status} href={(k) => discoveriesHref({ status: k })} />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, md: 6, lg: 4 }}>
            <Panel title="Newest discoveries" action={<Link component={RouterLink} to={discoveriesHref({ sort: "first_seen" })}>All</Link>}>
              <NewestDiscoveries />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, md: 6, lg: 4 }}>
            <Panel title="Recent changes" action={<Link component={RouterLink} to={discoveriesHref({ sort: "last_changed" })}>All</Link>}>
              <RecentChanges />
            </Panel>
          </Grid>
          <Grid size={{ xs: 12, lg: 4 }}>
            <Panel title="Scans" action={<Link component={RouterLink} to="/scans">All</Link>}>
              <RecentScans />
            </Panel>
          </Grid>
        </Grid>
      )}
      <Box sx={{ height: 16 }} />
    </>
  );
}
