// A throwaway stack for benchmarks: a Temporal server (the dev server on SQLite, as `npm run dev` uses, or
// the PostgreSQL-backed server of `npm run temporal:server` with N history shards), a fresh database, and
// the engine's workers, API replicas and baseline workers as separate processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, migrate } from '../../db/migrate';
import { freePort, launchTemporal, waitForPort, type TemporalHandle } from '../lib/temporal';
import { startTestTemporalServer, type ServerHandle } from '../lib/temporal-server';
import { serverDynamicConfig } from '../lib/dynamic-config';
import { poolSizes, type PoolSizes } from './pools';
import type { StackSpec } from './stack-spec';

const root = path.join(__dirname, '..', '..');

export interface BenchStack {
  spec: StackSpec;
  temporal: TemporalHandle;
  databaseUrl: string;
  /** The names of fleetwave's database and, on the PostgreSQL-backed server, Temporal's two. */
  databases: { fleetwave: string; temporal?: string; visibility?: string };
  /** One URL per API replica. */
  apiUrls: string[];
  workers: ChildProcess[];
  pools: PoolSizes;
  stop(): Promise<void>;
}

const logDir = process.env.BENCH_LOG_DIR ?? os.tmpdir();

function startNode(entry: string, name: string, env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of every process, to find where the time goes.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const log = fs.openSync(path.join(logDir, `fleetwave-bench-${name}.log`), 'w');
  return spawn(process.execPath, [...profile, '--import', 'tsx', entry], {
    cwd: root,
    env,
    stdio: ['ignore', log, log],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startServer(spec: StackSpec, dir: string, pools: PoolSizes, postgresUrl: string) {
  if (spec.server === 'dev') {
    return launchTemporal({
      port: await freePort(),
      headless: true,
      dbFile: path.join(dir, 'temporal.db'),
      stdio: 'ignore',
      // The production server's dynamic config, so both servers suggest continue-as-new at the same size.
      dynamicConfig: serverDynamicConfig(),
    });
  }
  return startTestTemporalServer(postgresUrl, {
    shards: spec.shards,
    prefix: 'temporal_bench',
    maxConns: pools.temporal,
    visibilityMaxConns: pools.visibility,
    log: () => undefined,
  });
}

export async function startBenchStack(spec: StackSpec): Promise<BenchStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-bench-'));
  const postgresUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const pools = await poolSizes(postgresUrl, spec);
  const temporal = await startServer(spec, dir, pools, postgresUrl);
  const base = new URL(postgresUrl);
  base.pathname = `/fleetwave_bench_${Date.now().toString(36)}`;
  const databaseUrl = base.toString();
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await temporal.stop();
    await dropDatabase(databaseUrl).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrate(databaseUrl);
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      LOG_LEVEL: 'warn',
      WORKER_METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    };
    const workers: ChildProcess[] = [];
    for (let i = 0; i < spec.workers; i++) {
      workers.push(
        startNode('worker/main.ts', `worker-${i + 1}`, {
          ...env,
          TEMPORAL_TASK_QUEUE: 'fleetwave',
          DATABASE_POOL_SIZE: String(pools.worker),
        }),
      );
      // The baseline gets as many workers, tuned the same (worker/tuning.ts), on its own task queue.
      children.push(
        startNode('scripts/bench/baseline-worker.ts', `baseline-worker-${i + 1}`, {
          ...env,
          TEMPORAL_TASK_QUEUE: 'fleetwave-baseline',
        }),
      );
    }
    children.push(...workers);
    const apiUrls: string[] = [];
    for (let i = 0; i < spec.apiReplicas; i++) {
      const port = await freePort();
      const api = startNode('api/main.ts', `api-${i + 1}`, {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        TEMPORAL_TASK_QUEUE: 'fleetwave',
        FLEET_API_TOKENS: '',
        DATABASE_POOL_SIZE: String(pools.api),
      });
      children.push(api);
      await waitForPort('127.0.0.1', port, 60_000, api);
      apiUrls.push(`http://127.0.0.1:${port}`);
    }
    const fleetwave = new URL(databaseUrl).pathname.slice(1);
    const server = temporal as Partial<ServerHandle>;
    const databases = { fleetwave, ...server.databases };
    return { spec, temporal, databaseUrl, databases, apiUrls, workers, pools, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Peak resident set size of a process, from the kernel's high-water mark. */
export function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** The largest peak RSS among the engine's workers. */
export function workersPeakRssMb(workers: ChildProcess[]): number | null {
  const peaks = workers.map((w) => peakRssMb(w.pid)).filter((mb): mb is number => mb !== null);
  return peaks.length ? Math.max(...peaks) : null;
}
