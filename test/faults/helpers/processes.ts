// The worker and the API as real child processes (node --import tsx), each logging to its own file, that a test can kill and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitForPort } from '../../../scripts/lib/temporal';
import { TOKEN_LIST } from '../../helpers/api';
import { uid } from '../../helpers/env';

const root = path.join(__dirname, '..', '..', '..');

/** Where child logs go: the runner sets FAULTS_LOG_DIR and prints it, so a failed scenario can be read afterwards. */
export function logDir(): string {
  const dir = process.env.FAULTS_LOG_DIR ?? path.join(root, '.data', 'faults-logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface ProcessEnv {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
}

export interface NodeProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** Whether the process of the last start() is still alive. */
  readonly running: boolean;
  /** Starts it (again): a restart appends to the same log file. */
  start(): Promise<void>;
  /** SIGKILL: no drain, no cleanup, as a crashed machine. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s: the orderly way out. */
  stop(): Promise<void>;
  /** The log so far, one parsed JSON object per line (non-JSON lines as { raw }). */
  logLines(): Record<string, unknown>[];
  /** Resolves once a log line matches; fails after timeoutMs with the log's tail. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function childEnv(env: ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATABASE_URL: env.databaseUrl,
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    FLEET_API_TOKENS: TOKEN_LIST,
    ...extra,
  };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function spawnNode(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  onReady: (p: NodeProcess) => Promise<void>,
): NodeProcess {
  const logFile = path.join(logDir(), `${name}.log`);
  fs.writeFileSync(logFile, '');
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();

  const tail = () => fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  const proc: NodeProcess = {
    name,
    logFile,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && !exited(child);
    },
    async start() {
      if (child && !exited(child)) throw new Error(`${name} is already running`);
      const fd = fs.openSync(logFile, 'a');
      fs.writeSync(fd, `${JSON.stringify({ harness: 'start', at: new Date().toISOString() })}\n`);
      child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      const current = child;
      exit = new Promise((resolve) => current.once('exit', () => resolve()));
      await onReady(proc);
      if (exited(current)) throw new Error(`${name} exited during start (code ${current.exitCode}); log:\n${tail()}`);
    },
    async kill() {
      if (!child || exited(child)) return;
      child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!child || exited(child)) return;
      const current = child;
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
    logLines() {
      return fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { raw: line };
          }
        });
    },
    async waitForLog(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = proc.logLines().find(match);
        if (found) return found;
        if (child && exited(child)) throw new Error(`${name} exited (code ${child.exitCode}); log:\n${tail()}`);
        if (Date.now() > deadline)
          throw new Error(`${name}: no matching log line within ${timeoutMs} ms; log:\n${tail()}`);
        await sleep(100);
      }
    },
  };
  return proc;
}

/** `worker/main.ts` on `env.taskQueue`; start() resolves once it polls ("fleetwave worker running" since this start). */
export function workerProcess(env: ProcessEnv, extra: Record<string, string> = {}): NodeProcess {
  let starts = 0;
  return spawnNode(`worker-${uid('w')}`, 'worker/main.ts', childEnv(env, extra), async (p) => {
    starts++;
    const wanted = starts;
    await p.waitForLog(() => p.logLines().filter((l) => l.msg === 'fleetwave worker running').length >= wanted);
  });
}

export interface ApiProcess extends NodeProcess {
  readonly url: string;
}

/** `api/main.ts` on a fixed free port (the same after a restart); start() resolves once /healthz answers. */
export async function apiProcess(env: ProcessEnv, extra: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnNode(
    `api-${uid('a')}`,
    'api/main.ts',
    childEnv(env, { PORT: String(port), STATUS_CACHE_MS: '0', ...extra }),
    async () => {
      await waitForPort('127.0.0.1', port, 60_000);
      for (let i = 0; i < 50; i++) {
        const ok = await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await sleep(100);
      }
      throw new Error(`API on ${url} never answered /healthz`);
    },
  );
  return Object.assign(proc, { url });
}
