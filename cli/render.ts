// Pure text rendering shared by the commands: borderless tables, times, durations, payload summaries.
import Table from 'cli-table3';
import type { AuditEventView, Cluster, ClusterRunView, OperationListItem } from './types';

type Cell = string | number | boolean | null | undefined;

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** kubectl-style columns: no borders and no colours, so output greps and diffs cleanly. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({
    head,
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `2026-11-25T09:09:36Z`: UTC to the second, as maintenance windows are written. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19)}Z`;
}

/** 0 → `-`, 0.5 → `0.5s`, 90 → `1m30s`, 600 → `10m`, 7200 → `2h`. */
export function formatDuration(seconds: number): string {
  if (!seconds) return '-';
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const s = Math.round(seconds);
  const parts: [number, string][] = [
    [Math.floor(s / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join('');
}

const scalar = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** One short line for an audit payload: scalars as k=v first, nested values abbreviated. */
export function summarizePayload(payload: unknown, max = 80): string {
  if (payload === null || payload === undefined) return '';
  if (scalar(payload)) return String(payload);
  const entries = Object.entries(payload as Record<string, unknown>);
  const parts = [
    ...entries.filter(([, v]) => scalar(v)).map(([k, v]) => `${k}=${String(v)}`),
    ...entries
      .filter(([, v]) => !scalar(v) && v !== undefined)
      .map(([k, v]) => {
        if (Array.isArray(v)) return `${k}=[${v.length}]`;
        const name = (v as { name?: unknown }).name;
        return typeof name === 'string' ? `${k}.name=${name}` : `${k}={…}`;
      }),
  ];
  const line = parts.join(' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function clustersTable(clusters: readonly Cluster[]): string {
  return table(
    ['ID', 'KIND', 'CLOUD', 'REGION', 'ENVIRONMENT', 'TIER', 'VERSION', 'LABELS'],
    clusters.map((c) => [c.id, c.kind, c.cloud, c.region, c.environment, c.tier, c.version, labelText(c.labels)]),
  );
}

export function clusterDetail(
  c: Cluster & { lease?: { operationId: string } | null; runs?: ClusterRunView[] },
): string {
  const fields: [string, Cell][] = [
    ['id', c.id],
    ['name', c.name],
    ['kind', c.kind],
    ['cloud / region', `${c.cloud} / ${c.region}`],
    ['environment', c.environment],
    ['tier', c.tier],
    ['version', c.version],
    ['labels', labelText(c.labels)],
    ['adapter', `${c.adapter.type} ${JSON.stringify(c.adapter.config)}`],
    ['windows', c.maintenanceWindows.map((w) => `${w.days.join(',')} ${w.start}-${w.end}`).join('; ') || 'any time'],
    ['leased by', c.lease?.operationId ?? 'nobody'],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const lines = fields.map(
    ([k, v]) => `${k.padEnd(width)}  ${v === null || v === undefined || v === '' ? '-' : String(v)}`,
  );
  // A patch answers the cluster without runs: say nothing of them rather than "none".
  if (c.runs === undefined) return lines.join('\n');
  const runs = c.runs;
  if (runs.length === 0) return [...lines, '', 'recent runs: none'].join('\n');
  const runTable = table(
    ['OPERATION', 'WAVE', 'STATE', 'FROM', 'TO', 'STARTED', 'FINISHED', 'ERROR'],
    runs.map((r) => [
      r.operationId,
      r.wave,
      r.state,
      r.fromVersion,
      r.toVersion,
      formatTime(r.startedAt),
      formatTime(r.finishedAt),
      // While an adapter step retries, its last error is the news.
      r.error ?? (r.lastError && !r.finishedAt ? `retrying (attempt ${r.adapterAttempts}): ${r.lastError}` : null),
    ]),
  );
  return [...lines, '', 'recent runs:', runTable].join('\n');
}

export function eventsTable(events: readonly AuditEventView[]): string {
  return table(
    ['TIME', 'IDENTITY', 'ACTION', 'PAYLOAD'],
    events.map((e) => [formatTime(e.at), `${e.identity} (${e.role})`, e.action, summarizePayload(e.payload)]),
  );
}

export function operationsTable(ops: readonly OperationListItem[]): string {
  return table(
    ['ID', 'NAME', 'STATE', 'ACTION', 'TARGET', 'STARTED', 'CLOSED'],
    ops.map((o) => [o.id, o.name, o.state, o.action, o.targetVersion, formatTime(o.startedAt), formatTime(o.closedAt)]),
  );
}
