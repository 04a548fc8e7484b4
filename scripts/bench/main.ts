// `npm run bench`: fleetwave against raw Temporal on the same server, in one run, on one or more stacks;
// prints a table and writes BENCHMARKS.md. Options:
//   --stacks dev,pg-s4-w2   the stacks to run, one after another (stack-spec.ts; default dev)
//   --sizes 1000,10000      sizes run on every stack   --extra-sizes 100000   sizes run on the last stack only
//   --max-parallel 200      --single-wave (one wave of every cluster, not the by-cloud policy's four)
//   --no-baseline           --load-seconds 10 (0: no load phase)   --load-clusters 10000
//   --load-on last|all      which stacks get the load phase   --no-write
//   --wave-lanes 1          lanes per wave (limits.waveLanes of the operation)
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool } from '../../db/pool';
import { continueAsNewRates } from './continue-as-new';
import { heatmapTiming } from './dashboard';
import { commitsUsed, sampleCommits } from './commits';
import { cpuUsed, sampleCpu } from './cpu';
import { largestHistory, loadTest, runBaseline, runEngine, seedBenchFleet, statusCost, streamRate } from './measure';
import { render, type LoadRow, type Row } from './report';
import { startBenchStack, workersPeakRssMb, type BenchStack } from './stack';
import { parseStackSpec, stackLabel } from './stack-spec';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const numbers = (text: string) => (text ? text.split(',').map(Number) : []);

const settings = {
  stacks: option('stacks', 'dev').split(',').map(parseStackSpec),
  sizes: numbers(option('sizes', '1000,10000')),
  extraSizes: numbers(option('extra-sizes', '')),
  maxParallel: Number(option('max-parallel', '200')),
  loadSeconds: Number(option('load-seconds', '10')),
  loadClusters: Number(option('load-clusters', '10000')),
  loadOnAll: option('load-on', 'last') === 'all',
  singleWave: process.argv.includes('--single-wave'),
  waveLanes: Number(option('wave-lanes', '1')),
  baseline: !process.argv.includes('--no-baseline'),
};

async function measureSize(stack: BenchStack, client: Client, db: ReturnType<typeof createPool>, n: number) {
  const tag = `b${n}`;
  const label = stackLabel(stack.spec);
  await seedBenchFleet(db, tag, n);
  console.error(`· ${label}: ${n} clusters: engine…`);
  const databases = Object.values(stack.databases).filter((name): name is string => Boolean(name));
  const commitsAtStart = await sampleCommits(db, databases);
  const cpuAtStart = sampleCpu();
  const engine = await runEngine(stack.apiUrls[0]!, tag, settings.maxParallel, settings);
  const cpuAtEngineEnd = sampleCpu();
  const used = commitsUsed(commitsAtStart, await sampleCommits(db, databases));
  const perCluster = (name: string | undefined) => (name && used[name] !== undefined ? used[name] / n : null);
  const commits = {
    fleetwave: perCluster(stack.databases.fleetwave),
    temporal: perCluster(stack.databases.temporal),
    visibility: perCluster(stack.databases.visibility),
  };
  const workerRssMb = workersPeakRssMb(stack.workers);
  console.error(`  engine ${engine.seconds.toFixed(1)} s; baseline…`);
  const baselineSeconds = settings.baseline
    ? await runBaseline(client, `baseline-${tag}`, engine.waveSizes, settings.maxParallel)
    : NaN;
  const cpu = { engine: cpuUsed(cpuAtStart, cpuAtEngineEnd), baseline: cpuUsed(cpuAtEngineEnd, sampleCpu()) };
  console.error(`  baseline ${baselineSeconds.toFixed(1)} s; histories…`);
  const history = await largestHistory(client, engine.id);
  const rates = await continueAsNewRates(client, db, engine.id);
  const status = await statusCost(stack.apiUrls[0]!, engine.id);
  return {
    stack: label,
    clusters: n,
    engineSeconds: engine.seconds,
    baselineSeconds,
    historyEvents: history.events,
    historyBytes: history.bytes,
    workerRssMb,
    statusP50Ms: status.p50Ms,
    statusBytes: status.bytes,
    rates,
    cpu: settings.baseline ? cpu : { engine: cpu.engine, baseline: null },
    commits,
  };
}

/** Latency of status and a runs page while an operation of clusters that take a little time runs. */
async function measureLoad(stack: BenchStack, db: ReturnType<typeof createPool>): Promise<LoadRow[]> {
  await seedBenchFleet(db, 'load', settings.loadClusters, 20);
  console.error(`· ${stackLabel(stack.spec)}: API under load…`);
  const running = runEngine(stack.apiUrls[0]!, 'load', settings.maxParallel, { waveLanes: settings.waveLanes });
  await new Promise((r) => setTimeout(r, 1500));
  const ops = (await (await fetch(`${stack.apiUrls[0]}/v1/operations?name=bench-load`)).json()) as {
    operations?: { id: string }[];
  };
  const id = ops.operations?.[0]?.id;
  if (!id) throw new Error('the load phase found no running operation');
  // The dashboard's page of the running operation, then what one watcher of its live status receives.
  const heatmap = await heatmapTiming(stack.apiUrls[0]!, id, settings.loadClusters);
  const stream = await streamRate(stack.apiUrls[0]!, id, Math.min(settings.loadSeconds, 10));
  const rows = [
    await loadTest(stack.apiUrls, `/v1/operations/${id}`, settings.loadSeconds),
    await loadTest(stack.apiUrls, `/v1/operations/${id}/clusters?limit=100`, settings.loadSeconds),
  ];
  await running;
  return rows.map((r) => ({ ...r, stack: stackLabel(stack.spec), stream, heatmap }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).join(' ');
  const command = args ? `npm run bench -- ${args}` : 'npm run bench';
  const rows: Row[] = [];
  const load: LoadRow[] = [];
  const pools: string[] = [];
  for (const [index, spec] of settings.stacks.entries()) {
    const last = index === settings.stacks.length - 1;
    const stack = await startBenchStack(spec);
    const p = stack.pools;
    pools.push(
      `${stackLabel(spec)}: PostgreSQL max_connections ${p.max}; pools ${spec.server === 'postgres' ? `Temporal ${p.temporal} + visibility ${p.visibility} per service, ` : ''}worker ${p.worker}, API ${p.api}`,
    );
    const db = createPool(stack.databaseUrl, 5);
    const connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection });
    try {
      for (const n of [...settings.sizes, ...(last ? settings.extraSizes : [])])
        rows.push(await measureSize(stack, client, db, n));
      if (settings.loadSeconds > 0 && (last || settings.loadOnAll)) load.push(...(await measureLoad(stack, db)));
    } finally {
      await connection.close();
      await db.end();
      await stack.stop();
    }
  }
  const report = render({ rows, load, pools, command, ...settings });
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

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
