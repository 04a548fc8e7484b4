// `npm run dev`: Temporal dev server (started unless one answers), migrations, demo fleet, worker
// and API on one machine, plus a demo alarm source (scripts/lib/demo-signals.ts) that operations' alarms can
// point at; Ctrl-C stops everything it started. `npm run dev -- --temporal server` (or FLEET_TEMPORAL=server)
// runs it all on the PostgreSQL-backed Temporal server of `npm run temporal:server` instead.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { startDemoSignals, type DemoSignals } from './lib/demo-signals';
import { canConnect, launchTemporal, splitAddress, waitForPort, type TemporalHandle } from './lib/temporal';
import { defaultPorts, DEFAULT_SHARDS, postgresTarget, startTemporalServer } from './lib/temporal-server';
import { seedDemoFleet } from './seed';

const root = path.join(__dirname, '..');
const say = (msg: string) => console.log(`\x1b[36m[dev]\x1b[0m ${msg}`);

function startNode(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: 'inherit' });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(1);
    }
  });
  return child;
}

let stopping = false;
const children: ChildProcess[] = [];
let temporal: TemporalHandle | undefined;
let signals: DemoSignals | undefined;

/** FLEET_DEMO_SIGNALS_PORT, default 7355 (0 picks a free port). */
function demoSignalsPort(): number {
  const raw = process.env.FLEET_DEMO_SIGNALS_PORT || '7355';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new Error(`FLEET_DEMO_SIGNALS_PORT must be a port number (0-65535), got '${raw}'`);
  }
  return port;
}

/** The demo alarm source, or undefined (said) when its port is taken: the rest of dev does not need it. */
async function startSignals(port: number): Promise<DemoSignals | undefined> {
  try {
    return await startDemoSignals({ port });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    say(`port ${port} is taken: not starting the demo alarm source (FLEET_DEMO_SIGNALS_PORT moves it)`);
    return undefined;
  }
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  if (signals) await signals.close();
  if (temporal) await temporal.stop();
  say('stopped');
  process.exit(code);
}

type TemporalKind = 'dev' | 'server';

/** `--temporal dev|server`, else FLEET_TEMPORAL, else the dev server. */
function temporalKind(argv: string[]): TemporalKind {
  const flag = argv.indexOf('--temporal');
  const raw = flag >= 0 ? argv[flag + 1] : process.env.FLEET_TEMPORAL || 'dev';
  if (raw !== 'dev' && raw !== 'server') {
    throw new Error(`${flag >= 0 ? '--temporal' : 'FLEET_TEMPORAL'} must be dev or server, got '${raw ?? ''}'`);
  }
  return raw;
}

async function startTemporal(kind: TemporalKind, host: string, port: number, databaseUrl: string) {
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  if (kind === 'dev') {
    say('starting the Temporal dev server (state in .data/temporal.db)…');
    return launchTemporal({ ip: host, port, uiPort, dbFile: path.join(root, '.data', 'temporal.db'), stdio: 'ignore' });
  }
  const shards = Number(process.env.TEMPORAL_SHARDS ?? DEFAULT_SHARDS);
  if (!Number.isInteger(shards) || shards < 1) {
    throw new Error(`TEMPORAL_SHARDS must be a positive integer, got '${process.env.TEMPORAL_SHARDS}'`);
  }
  const database = process.env.TEMPORAL_SERVER_DB ?? 'temporal';
  say(`starting the PostgreSQL-backed Temporal server (${database}, ${database}_visibility; ${shards} shards)…`);
  return startTemporalServer({
    postgres: postgresTarget(process.env.TEMPORAL_POSTGRES_URL ?? databaseUrl),
    database,
    visibilityDatabase: `${database}_visibility`,
    shards,
    ip: host,
    ports: defaultPorts(port),
    uiPort,
    log: say,
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const signalsPort = demoSignalsPort();
  const kind = temporalKind(process.argv.slice(2));
  const { host, port } = splitAddress(config.temporal.address);
  if (await canConnect(host, port)) {
    say(`reusing the Temporal server already answering on ${config.temporal.address}`);
  } else {
    temporal = await startTemporal(kind, host, port, config.databaseUrl);
    say(temporal.description);
  }

  try {
    const result = await migrate(config.databaseUrl);
    say(result.applied.length ? `migrations applied: ${result.applied.join(', ')}` : 'database is up to date');
  } catch (err) {
    const url = new URL(config.databaseUrl);
    url.password = '';
    throw new Error(
      `PostgreSQL is not reachable at ${url.toString()} (${err instanceof Error ? err.message : String(err)}).\n` +
        'Start it (Debian: pg_ctlcluster 15 main start; Docker: docker compose up -d postgres) or set DATABASE_URL.',
    );
  }
  const db = createPool(config.databaseUrl, 2);
  const seeded = await seedDemoFleet(db);
  await db.end();
  say(seeded ? `seeded a demo fleet of ${seeded} simulated clusters` : 'inventory already has clusters: not seeding');

  const env: NodeJS.ProcessEnv = { ...process.env, LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };
  // The dashboard links to the Web UI this command started (its port may not be the default one).
  if (temporal?.uiUrl && process.env.TEMPORAL_UI_URL === undefined) env.TEMPORAL_UI_URL = temporal.uiUrl;
  if (config.tokens.length === 0 && process.env.FLEET_ALLOW_SELF_APPROVAL === undefined) {
    // Open mode has one identity (dev), which could never pass its own approval gates otherwise.
    env.FLEET_ALLOW_SELF_APPROVAL = 'true';
    say('open mode (no FLEET_API_TOKENS): self-approval allowed so dev can pass manual gates');
  }
  signals = await startSignals(signalsPort);
  children.push(startNode('worker', 'worker/main.ts', env));
  children.push(startNode('api', 'api/main.ts', env));
  await waitForPort('127.0.0.1', config.port, 60_000, children[1]);

  say('fleetwave is up:');
  say(
    `  API        http://127.0.0.1:${config.port}   (try: curl -s http://127.0.0.1:${config.port}/v1/clusters?cloud=gcp)`,
  );
  say(`  Dashboard  http://127.0.0.1:${config.port}/ui/`);
  say(`  Web UI     ${temporal?.uiUrl ?? config.temporal.uiUrl}`);
  if (signals) {
    say(`  Alarms     ${signals.url}   (demo alarm source: PUT /alarms/<name>, PUT /metrics/<name>; GET / lists them)`);
  }
  say(
    `  Temporal   ${config.temporal.address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
  );
  say('Ctrl-C stops everything.');
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  void stopAll(1);
});
