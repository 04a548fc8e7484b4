// Processes of the local Temporal server: free ports for it, and starting, watching and stopping its children.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

const root = path.join(__dirname, '..', '..');

const PORT_NAMES = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
] as const;

/** The ports of the four services of the one server process; all of them must be free. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The ports of deploy/temporal/config/fleetwave.yaml's defaults, from the frontend's (7233 → 7234 history, …). */
export function defaultPorts(frontend = 7233): ServerPorts {
  const shift = frontend - 7233;
  return {
    frontend,
    frontendHttp: 7243 + shift,
    frontendMembership: 6933 + shift,
    history: 7234 + shift,
    historyMembership: 6934 + shift,
    matching: 7235 + shift,
    matchingMembership: 6935 + shift,
    worker: 7239 + shift,
    workerMembership: 6939 + shift,
  };
}

/** Whether a TCP port can be bound on 127.0.0.1 right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Nine free ports (tests: several servers on one machine never collide), below 32768: the server records its
 * membership ports in a smallint column, and the kernel's own ephemeral ports start above it anyway.
 */
export async function freePorts(): Promise<ServerPorts> {
  const ports: number[] = [];
  while (ports.length < PORT_NAMES.length) {
    const p = 10_000 + Math.floor(Math.random() * 22_000);
    if (!ports.includes(p) && (await portIsFree(p))) ports.push(p);
  }
  return Object.fromEntries(PORT_NAMES.map((name, i) => [name, ports[i]!])) as unknown as ServerPorts;
}

export function logTail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function exitedPromise(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function stopChild(child: ChildProcess | undefined, exited: Promise<void>): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export function spawnLogged(bin: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  try {
    return spawn(bin, args, { cwd: root, env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
}

/** The frontend serves (not only listens) and reports its history shard count. */
export async function waitForFrontend(address: string, child: ChildProcess, logFile: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the Temporal server exited (${child.exitCode ?? child.signalCode}); ${logFile}:\n${logTail(logFile)}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const info = await connection.workflowService.getClusterInfo({});
        return info.historyShardCount ?? 0;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`the Temporal server on ${address} did not serve within 60 s (${String(last)}); ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
