// The Markdown block `npm run bench` prints and writes into BENCHMARKS.md.
import os from 'node:os';
import { renderContinueAsNew, type ContinueAsNewRates } from './continue-as-new';
import { CPU_PARTS, type CpuSeconds } from './cpu';
import type { HeatmapTiming } from './dashboard';
import type { LoadResult } from './measure';

export interface Row {
  stack: string;
  clusters: number;
  engineSeconds: number;
  baselineSeconds: number;
  historyEvents: number;
  historyBytes: number;
  workerRssMb: number | null;
  statusP50Ms: number;
  statusBytes: number;
  /** Throughput around the waves' continue-as-new (null: no wave continued as new). */
  rates: ContinueAsNewRates | null;
  /** CPU seconds by part of the stack during the engine's run and during the baseline's. */
  cpu: { engine: CpuSeconds | null; baseline: CpuSeconds | null };
  /** PostgreSQL transactions per cluster while the engine ran, by database (null: not measured there). */
  commits: { fleetwave: number | null; temporal: number | null; visibility: number | null };
}

export type LoadRow = LoadResult & {
  stack: string;
  /** One status stream read during the same operation. */
  stream: { events: number; bytesPerSecond: number; seconds: number };
  /** The dashboard's page of the same operation in Chromium, until its heatmap shows every cluster. */
  heatmap: HeatmapTiming;
};

export interface Report {
  rows: Row[];
  load: LoadRow[];
  pools: string[];
  command: string;
  maxParallel: number;
  loadClusters: number;
  singleWave: boolean;
  waveLanes: number;
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export function render(r: Report): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '## Results',
    '',
    `Command: \`${r.command}\` · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    '',
    ...r.pools.map((p) => `- ${p}`),
    '',
    `One operation over N zero-latency simulated clusters (${r.singleWave ? 'a single wave of all N' : 'by-cloud policy: internal, aws, gcp, azure waves'}; maxParallel ${r.maxParallel}${r.waveLanes > 1 ? `; ${r.waveLanes} lanes per wave` : ''}), from POST to completed, against a raw-Temporal baseline of the same waves and concurrency with three no-op activities per cluster, on the same server and as many workers.`,
    '',
    '| stack | clusters | fleetwave s | clusters/s | baseline s | clusters/s | fleetwave / baseline | largest history (events / KiB) | worker peak RSS | status p50 / size |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.stack} | ${row.clusters} | ${row.engineSeconds.toFixed(1)} | ${(row.clusters / row.engineSeconds).toFixed(0)} | ${fixed(row.baselineSeconds, 1)} | ${fixed(row.clusters / row.baselineSeconds, 0)} | **${fixed(row.baselineSeconds / row.engineSeconds, 2)}** | ${row.historyEvents} / ${(row.historyBytes / 1024).toFixed(0)} | ${row.workerRssMb ?? '?'} MiB | ${row.statusP50Ms.toFixed(1)} ms / ${(row.statusBytes / 1024).toFixed(1)} KiB |`,
    ),
    '',
    'fleetwave / baseline is throughput relative to raw Temporal (1.00 = no overhead).',
    ...renderContinueAsNew(r.rows),
    ...renderCpu(r.rows),
    ...renderCommits(r.rows),
  ];
  if (r.load.length) {
    lines.push(
      '',
      `API latency, 50 concurrent clients (split evenly over the API replicas; p50 and p99 of the slowest replica) while a ${r.loadClusters.toLocaleString('en-US')}-cluster operation runs:`,
      '',
      '| stack | route | requests | p50 ms | p99 ms | errors | non-2xx |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...r.load.map(
        (l) =>
          `| ${l.stack} | GET ${l.path.replace(/operations\/[^/?]+/, 'operations/:id')} | ${l.requests} | ${l.p50} | ${l.p99} | ${l.errors} | ${l.non2xx} |`,
      ),
      '',
      'The dashboard during the same operation, before the load: its page in a headless Chromium until the heatmap shows every cluster (and the canvas draw alone), then one watcher of `GET /v1/operations/:id/stream`:',
      '',
      '| stack | page until heatmap complete | canvas draw | stream seconds read | status events | bytes/s |',
      '|---|---:|---:|---:|---:|---:|',
      ...r.load
        .filter((l, i, all) => all.findIndex((x) => x.stack === l.stack) === i)
        .map((l) => {
          const h = l.heatmap;
          const page = 'skipped' in h ? h.skipped : `${h.pageMs.toFixed(0)} ms`;
          const draw = 'skipped' in h ? '–' : `${h.drawMs.toFixed(1)} ms`;
          return `| ${l.stack} | ${page} | ${draw} | ${l.stream.seconds.toFixed(0)} | ${l.stream.events} | ${l.stream.bytesPerSecond.toFixed(0)} |`;
        }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** CPU seconds of each part of the stack while the engine ran and while the baseline ran. */
function renderCpu(rows: Row[]): string[] {
  const measured = rows.filter((row) => row.cpu.engine);
  if (measured.length === 0) return [];
  const cells = (c: CpuSeconds | null) => CPU_PARTS.map((p) => (c ? c[p].toFixed(0) : '–'));
  return [
    '',
    'Where the CPU went: CPU seconds (user + system, from /proc) of each part of the stack while the engine ran its operation, and while the baseline ran the same waves (the bench includes the status polling and the load clients).',
    '',
    `| stack | clusters | run | ${CPU_PARTS.join(' | ')} | CPU ms per cluster |`,
    `|---|---:|---|${CPU_PARTS.map(() => '---:|').join('')}---:|`,
    ...measured.flatMap((row) =>
      (['engine', 'baseline'] as const)
        .filter((run) => row.cpu[run])
        .map((run) => {
          const c = row.cpu[run]!;
          const total = CPU_PARTS.reduce((sum, p) => sum + c[p], 0);
          return `| ${row.stack} | ${row.clusters} | ${run === 'engine' ? 'fleetwave' : 'baseline'} | ${cells(c).join(' | ')} | ${((total * 1000) / row.clusters).toFixed(1)} |`;
        }),
    ),
  ];
}

/** PostgreSQL transactions per cluster while the engine ran. */
function renderCommits(rows: Row[]): string[] {
  const f = (n: number | null) => (n === null ? '–' : n.toFixed(1));
  return [
    '',
    "PostgreSQL transactions committed per cluster while the engine ran (pg_stat_database), in fleetwave's database and, on the PostgreSQL-backed server, Temporal's (history, matching, timers) and its visibility database:",
    '',
    '| stack | clusters | fleetwave | Temporal | visibility |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.stack} | ${row.clusters} | ${f(row.commits.fleetwave)} | ${f(row.commits.temporal)} | ${f(row.commits.visibility)} |`,
    ),
  ];
}
