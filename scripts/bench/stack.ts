// A throwaway stack for benchmarks: Temporal dev server (SQLite, as `npm run dev` uses), a fresh
// database, and the engine worker, API and baseline worker as separate processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, migrate } from '../../db/migrate';
import { freePort, launchTemporal, waitForPort, type TemporalHandle } from '../lib/temporal';

const root = path.join(__dirname, '..', '..');

export interface BenchStack {
  temporal: TemporalHandle;
  databaseUrl: string;
  apiUrl: string;
  worker: ChildProcess;
  baselineWorker: ChildProcess;
  stop(): Promise<void>;
}

const logDir = process.env.BENCH_LOG_DIR ?? os.tmpdir();

function startNode(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of every process, to find where the time goes.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const log = fs.openSync(path.join(logDir, `fleetwave-bench-${entry.replace(/\W+/g, '-')}.log`), 'w');
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

export async function startBenchStack(): Promise<BenchStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-bench-'));
  const temporal = await launchTemporal({
    port: await freePort(),
    headless: true,
    dbFile: path.join(dir, 'temporal.db'),
    stdio: 'ignore',
  });
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  base.pathname = `/fleetwave_bench_${Date.now().toString(36)}`;
  const databaseUrl = base.toString();
  await migrate(databaseUrl);
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    LOG_LEVEL: 'warn',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
  };
  const worker = startNode('worker/main.ts', {
    ...env,
    TEMPORAL_TASK_QUEUE: 'fleetwave',
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '40',
  });
  const baselineWorker = startNode('scripts/bench/baseline-worker.ts', {
    ...env,
    TEMPORAL_TASK_QUEUE: 'fleetwave-baseline',
  });
  const api = startNode('api/main.ts', {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: 'fleetwave',
    FLEET_API_TOKENS: '',
  });
  await waitForPort('127.0.0.1', port, 60_000, api);
  return {
    temporal,
    databaseUrl,
    apiUrl: `http://127.0.0.1:${port}`,
    worker,
    baselineWorker,
    async stop() {
      await Promise.all([stopChild(api), stopChild(worker), stopChild(baselineWorker)]);
      await temporal.stop();
      await dropDatabase(databaseUrl).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
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
