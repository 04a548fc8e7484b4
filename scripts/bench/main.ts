// `npm run bench`: fleetwave against raw Temporal on the same server, in one run; prints a table and
// writes BENCHMARKS.md. Options: --sizes 1000,10000  --max-parallel 200  --load-seconds 10
// --load-clusters 10000 (the operation running while the API is loaded)  --no-write
// --single-wave (one wave of every cluster, not the by-cloud policy's four)  --no-baseline
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool } from '../../db/pool';
import {
  largestHistory,
  loadTest,
  runBaseline,
  runEngine,
  seedBenchFleet,
  statusCost,
  type LoadResult,
} from './measure';
import { continueAsNewRates, renderContinueAsNew, type ContinueAsNewRates } from './continue-as-new';
import { peakRssMb, startBenchStack } from './stack';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const SINGLE_WAVE = process.argv.includes('--single-wave');

interface Row {
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
}

async function main(): Promise<void> {
  const sizes = option('sizes', '1000,10000').split(',').map(Number);
  const maxParallel = Number(option('max-parallel', '200'));
  const loadSeconds = Number(option('load-seconds', '10'));
  const loadClusters = Number(option('load-clusters', '10000'));
  const singleWave = SINGLE_WAVE;
  const baseline = !process.argv.includes('--no-baseline');
  const args = process.argv.slice(2).join(' ');
  const command = args ? `npm run bench -- ${args}` : 'npm run bench';
  const stack = await startBenchStack();
  const db = createPool(stack.databaseUrl, 5);
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  const rows: Row[] = [];
  let load: LoadResult[] = [];
  try {
    for (const n of sizes) {
      const tag = `b${n}`;
      await seedBenchFleet(db, tag, n);
      console.error(`· ${n} clusters: engine…`);
      const engine = await runEngine(stack.apiUrl, tag, maxParallel, singleWave);
      const workerRssMb = peakRssMb(stack.worker.pid);
      console.error(`  engine ${engine.seconds.toFixed(1)} s; baseline…`);
      const baselineSeconds = baseline
        ? await runBaseline(client, `baseline-${tag}`, engine.waveSizes, maxParallel)
        : NaN;
      console.error(`  baseline ${baselineSeconds.toFixed(1)} s; histories…`);
      const history = await largestHistory(client, engine.id);
      const rates = await continueAsNewRates(client, db, engine.id);
      const status = await statusCost(stack.apiUrl, engine.id);
      rows.push({
        clusters: n,
        engineSeconds: engine.seconds,
        baselineSeconds,
        historyEvents: history.events,
        historyBytes: history.bytes,
        workerRssMb,
        statusP50Ms: status.p50Ms,
        statusBytes: status.bytes,
        rates,
      });
    }
    if (loadSeconds > 0) {
      // Latency while an operation runs: clusters that take a little time keep it busy.
      await seedBenchFleet(db, 'load', loadClusters, 20);
      console.error('· API under load…');
      const running = runEngine(stack.apiUrl, 'load', maxParallel);
      await new Promise((r) => setTimeout(r, 1500));
      const ops = (await (await fetch(`${stack.apiUrl}/v1/operations?name=bench-load`)).json()) as {
        operations?: { id: string }[];
      };
      const id = ops.operations?.[0]?.id ?? rows.at(-1)?.clusters.toString() ?? '';
      load = [
        await loadTest(stack.apiUrl, `/v1/operations/${id}`, loadSeconds),
        await loadTest(stack.apiUrl, `/v1/operations/${id}/clusters?limit=100`, loadSeconds),
      ];
      await running;
    }
  } finally {
    await connection.close();
    await db.end();
    await stack.stop();
  }
  const report = render(rows, load, maxParallel, command, loadClusters);
  console.log(report);
  if (!process.argv.includes('--no-write')) {
    const file = path.join(__dirname, '..', '..', 'BENCHMARKS.md');
    const block = `<!-- results:start -->\n${report}<!-- results:end -->`;
    const current = fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8')
      : '# Benchmarks\n\n<!-- results:start -->\n<!-- results:end -->\n';
    // Only the generated block is replaced: the notes around it (before/after figures, limits) stay.
    fs.writeFileSync(file, current.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block));
    console.error('wrote BENCHMARKS.md');
  }
}

function render(rows: Row[], load: LoadResult[], maxParallel: number, command: string, loadClusters: number): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '## Results',
    '',
    `Command: \`${command}\` · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Temporal dev server (SQLite)`,
    '',
    `One operation over N zero-latency simulated clusters (${SINGLE_WAVE ? 'a single wave of all N' : 'by-cloud policy: internal, aws, gcp, azure waves'}; maxParallel ${maxParallel}), from POST to completed, against a raw-Temporal baseline of the same waves and concurrency with three no-op activities per cluster.`,
    '',
    '| clusters | fleetwave s | clusters/s | baseline s | clusters/s | fleetwave / baseline | largest history (events / KiB) | worker peak RSS | status p50 / size |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.clusters} | ${r.engineSeconds.toFixed(1)} | ${(r.clusters / r.engineSeconds).toFixed(0)} | ${r.baselineSeconds.toFixed(1)} | ${(r.clusters / r.baselineSeconds).toFixed(0)} | **${(r.baselineSeconds / r.engineSeconds).toFixed(2)}** | ${r.historyEvents} / ${(r.historyBytes / 1024).toFixed(0)} | ${r.workerRssMb ?? '?'} MiB | ${r.statusP50Ms.toFixed(1)} ms / ${(r.statusBytes / 1024).toFixed(1)} KiB |`,
    ),
    '',
    'fleetwave / baseline is throughput relative to raw Temporal (1.00 = no overhead).',
    ...renderContinueAsNew(rows),
  ];
  if (load.length) {
    lines.push(
      '',
      `API latency, 50 concurrent clients while a ${loadClusters.toLocaleString('en-US')}-cluster operation runs:`,
      '',
      '| route | requests | p50 ms | p99 ms | errors | non-2xx |',
      '|---|---:|---:|---:|---:|---:|',
      ...load.map(
        (l) =>
          `| GET ${l.path.replace(/operations\/[^/?]+/, 'operations/:id')} | ${l.requests} | ${l.p50} | ${l.p99} | ${l.errors} | ${l.non2xx} |`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
