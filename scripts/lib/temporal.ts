// Finds (or builds) the pinned Temporal CLI and runs its dev server with fleetwave's search attributes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** Every custom search attribute the engine writes, as the dev server wants them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Int'> = {
  FleetOperationName: 'Keyword',
  FleetAction: 'Keyword',
  FleetTargetVersion: 'Keyword',
  FleetState: 'Keyword',
  FleetOperationId: 'Keyword',
  FleetWave: 'Int',
};

export type CliSource = 'TEMPORAL_CLI' | 'PATH' | 'cache' | 'go install';

export interface ResolvedCli {
  path: string;
  source: CliSource;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.FLEETWAVE_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fleetwave');
  return path.join(base, `temporal-${TEMPORAL_CLI_VERSION}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * Resolution order: TEMPORAL_CLI, `temporal` on PATH, the cache, a `go install` into the cache.
 * Returns undefined when none works, so the caller can fall back to the SDK's own download.
 */
export function resolveTemporalCli(
  log: (msg: string) => void = (m) => console.error(m),
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCli | undefined {
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file`);
    return { path: env.TEMPORAL_CLI, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const dir = cacheDir(env);
  const cached = path.join(dir, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  const go = onPath('go', env);
  if (!go) return undefined;
  log(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${dir} (first time only, takes a few minutes)…`);
  fs.mkdirSync(dir, { recursive: true });
  const build = spawnSync(go, ['install', `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
    env: { ...env, GOBIN: dir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0 || !isExecutable(cached)) {
    log(`go install failed (exit ${build.status ?? build.signal}); falling back`);
    return undefined;
  }
  return { path: cached, source: 'go install' };
}

export function describeCli(cli: ResolvedCli): string {
  const out = spawnSync(cli.path, ['--version'], { encoding: 'utf8' });
  const version = (out.stdout || out.stderr || '').trim().split('\n')[0] ?? 'unknown version';
  return `Temporal CLI ${cli.path} (from ${cli.source}): ${version}`;
}

export interface DevServerOptions {
  ip?: string;
  port: number;
  uiPort?: number;
  /** No Web UI (tests). */
  headless?: boolean;
  /** SQLite file that keeps state across restarts; in memory when absent. */
  dbFile?: string;
  namespace?: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  stdio?: 'inherit' | 'ignore';
}

/** Flags past the address/UI/db ones: the same whether we spawn the CLI or the SDK does. */
export function devServerExtraArgs(opts: DevServerOptions): string[] {
  const args: string[] = [];
  if (opts.dbFile) {
    // WAL lets readers (visibility, UI) proceed while the history writer commits; NORMAL
    // sync is durable across process crashes, which is what a dev server needs.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push('--log-level', opts.logLevel ?? 'warn');
  return args;
}

export function devServerArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', opts.ip ?? '127.0.0.1', '--port', String(opts.port)];
  args.push('--namespace', opts.namespace ?? 'default');
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  return [...args, ...devServerExtraArgs(opts)];
}

export function startDevServer(cliPath: string, opts: DevServerOptions): ChildProcess {
  if (opts.dbFile) fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  return spawn(cliPath, devServerArgs(opts), { stdio: ['ignore', opts.stdio ?? 'inherit', opts.stdio ?? 'inherit'] });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with code ${child.exitCode} before ${host}:${port} opened`);
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function splitAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  return { host: address.slice(0, idx) || '127.0.0.1', port: Number(address.slice(idx + 1)) };
}

export interface TemporalHandle {
  address: string;
  uiUrl?: string;
  description: string;
  stop(): Promise<void>;
}

/**
 * Starts a dev server with the resolved CLI, or, where no CLI can be found or built, with the
 * SDK's own download of the same CLI version (needs internet).
 */
export async function launchTemporal(
  opts: DevServerOptions,
  log: (msg: string) => void = (m) => console.error(m),
): Promise<TemporalHandle> {
  const ip = opts.ip ?? '127.0.0.1';
  const address = `${ip}:${opts.port}`;
  const uiUrl = opts.headless ? undefined : `http://${ip}:${opts.uiPort ?? opts.port + 1000}`;
  const cli = resolveTemporalCli(log);
  if (cli) {
    const child = startDevServer(cli.path, opts);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitForPort(ip, opts.port, 60_000, child);
    return {
      address,
      uiUrl,
      description: describeCli(cli),
      async stop() {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
  }
  log(`no Temporal CLI available locally: asking the SDK to download v${TEMPORAL_CLI_VERSION}`);
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', version: `v${TEMPORAL_CLI_VERSION}` },
      ip,
      port: opts.port,
      ui: !opts.headless,
      uiPort: opts.uiPort,
      dbFilename: opts.dbFile,
      namespace: opts.namespace ?? 'default',
      extraArgs: devServerExtraArgs(opts),
    },
  });
  return {
    address,
    uiUrl,
    description: `Temporal CLI v${TEMPORAL_CLI_VERSION} (SDK download)`,
    stop: () => env.teardown(),
  };
}
