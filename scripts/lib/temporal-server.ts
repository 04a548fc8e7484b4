// The production-shape Temporal server on this machine, without Docker: the pinned server, its SQL tool and
// the Web UI server, built once from their Go modules into the same cache as the CLI, started on the files
// docker-compose.yml uses (deploy/temporal/config, deploy/temporal/dynamicconfig.yaml, deploy/temporal-schema.sh,
// deploy/temporal-setup.sh): PostgreSQL persistence, SQL visibility, N history shards.
import { spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { dropDatabase } from '../../db/migrate';
import { canConnect, resolveTemporalCli, SEARCH_ATTRIBUTES, waitForPort, type TemporalHandle } from './temporal';
import {
  resolveBinary,
  SERVER_BINARY,
  SQL_TOOL_BINARY,
  TEMPORAL_SERVER_VERSION,
  UI_SERVER_BINARY,
} from './temporal-binaries';
import { DYNAMIC_CONFIG_FILE } from './dynamic-config';
import { databaseUrl, postgresTarget, type PostgresTarget } from './temporal-databases';
import { freePorts, spawnLogged, stopChild, exitedPromise, waitForFrontend, type ServerPorts } from './server-process';

// What the scripts and tests import from here, wherever it lives.
export { canProvideServer, findBinary, SERVER_BINARY, TEMPORAL_SERVER_VERSION } from './temporal-binaries';
export { defaultPorts, freePorts, type ServerPorts } from './server-process';
export { postgresTarget, type PostgresTarget } from './temporal-databases';
export { DYNAMIC_CONFIG_FILE } from './dynamic-config';

export const DEFAULT_SHARDS = 4;

const root = path.join(__dirname, '..', '..');
export const SERVER_CONFIG_DIR = path.join(root, 'deploy', 'temporal', 'config');
export const UI_CONFIG_DIR = path.join(root, 'deploy', 'temporal', 'ui');
/** The `--env` of both config dirs: deploy/temporal/config/fleetwave.yaml, deploy/temporal/ui/fleetwave.yaml. */
const CONFIG_ENV = 'fleetwave';

export interface ServerOptions {
  /** Where Temporal's databases live (host, port, user, password). */
  postgres: PostgresTarget;
  /** Default temporal / temporal_visibility, as in compose. */
  database?: string;
  visibilityDatabase?: string;
  /** History shards; fixed when the databases are first used. */
  shards?: number;
  ip?: string;
  ports: ServerPorts;
  /** Web UI port; ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** Namespace retention, e.g. 168h. */
  retention?: string;
  /** The server's log (JSON lines); default .data/temporal-server.log. */
  logFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Connections per service and store (the server runs four services, each with its own pools). */
  maxConns?: number;
  visibilityMaxConns?: number;
  /** Drop both databases first (every workflow is lost). */
  reset?: boolean;
  /** Drop both databases on stop() (test runs). */
  dropOnStop?: boolean;
  log?: (msg: string) => void;
}

export interface ServerHandle extends TemporalHandle {
  databases: { temporal: string; visibility: string };
  shards: number;
  logFile: string;
}

function runScript(script: string, env: NodeJS.ProcessEnv): void {
  const out = spawnSync('sh', [path.join(root, 'deploy', script)], { env, encoding: 'utf8' });
  if (out.status !== 0) {
    const text = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`deploy/${script} failed (exit ${out.status ?? out.signal}):\n${text}`);
  }
}

/** deploy/temporal-schema.sh with the local SQL tool: create or upgrade both databases. */
export function setupSchemas(
  sqlTool: string,
  pg: PostgresTarget,
  databases: { temporal: string; visibility: string },
): void {
  runScript('temporal-schema.sh', {
    PATH: process.env.PATH,
    TEMPORAL_SQL_TOOL: sqlTool,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: pg.host,
    SQL_PORT: String(pg.port),
    SQL_USER: pg.user,
    SQL_PASSWORD: pg.password,
    DBNAME: databases.temporal,
    VISIBILITY_DBNAME: databases.visibility,
  });
}

/** The environment deploy/temporal/config/fleetwave.yaml reads (compose sets the same names). */
export function serverEnv(opts: ServerOptions, databases: { temporal: string; visibility: string }): NodeJS.ProcessEnv {
  const p = opts.ports;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DB: 'postgres12',
    POSTGRES_SEEDS: opts.postgres.host,
    DB_PORT: String(opts.postgres.port),
    POSTGRES_USER: opts.postgres.user,
    POSTGRES_PWD: opts.postgres.password,
    DBNAME: databases.temporal,
    VISIBILITY_DBNAME: databases.visibility,
    NUM_HISTORY_SHARDS: String(opts.shards ?? DEFAULT_SHARDS),
    BIND_ON_IP: opts.ip ?? '127.0.0.1',
    FRONTEND_GRPC_PORT: String(p.frontend),
    FRONTEND_HTTP_PORT: String(p.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(p.frontendMembership),
    HISTORY_GRPC_PORT: String(p.history),
    HISTORY_MEMBERSHIP_PORT: String(p.historyMembership),
    MATCHING_GRPC_PORT: String(p.matching),
    MATCHING_MEMBERSHIP_PORT: String(p.matchingMembership),
    WORKER_GRPC_PORT: String(p.worker),
    WORKER_MEMBERSHIP_PORT: String(p.workerMembership),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    TEMPORAL_LOG_LEVEL: opts.logLevel ?? 'warn',
    ...(opts.maxConns ? { SQL_MAX_CONNS: String(opts.maxConns), SQL_MAX_IDLE_CONNS: String(opts.maxConns) } : {}),
    ...(opts.visibilityMaxConns
      ? { SQL_VIS_MAX_CONNS: String(opts.visibilityMaxConns), SQL_VIS_MAX_IDLE_CONNS: String(opts.visibilityMaxConns) }
      : {}),
  };
}

/** deploy/temporal-setup.sh with the pinned CLI: the namespace and fleetwave's search attributes. */
async function registerNamespace(
  address: string,
  namespace: string,
  retention: string,
  log: (msg: string) => void,
): Promise<void> {
  const cli = resolveTemporalCli(log);
  if (!cli) throw new Error('no Temporal CLI to register the namespace with (see README: the Temporal CLI)');
  runScript('temporal-setup.sh', {
    PATH: `${path.dirname(cli.path)}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_NAMESPACE_RETENTION: retention,
  });
  // The script keeps its own list of attributes; the engine's list must be in it.
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !(name in (customAttributes ?? {})));
    if (missing.length) throw new Error(`deploy/temporal-setup.sh did not register ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
}

/**
 * Builds (once) and starts the PostgreSQL-backed server: schemas created or upgraded, server started on
 * deploy/temporal/config/fleetwave.yaml, namespace and search attributes registered, Web UI beside it.
 */
export async function startTemporalServer(opts: ServerOptions): Promise<ServerHandle> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const shards = opts.shards ?? DEFAULT_SHARDS;
  const databases = {
    temporal: opts.database ?? 'temporal',
    visibility: opts.visibilityDatabase ?? 'temporal_visibility',
  };
  const ip = opts.ip ?? '127.0.0.1';
  const address = `${ip}:${opts.ports.frontend}`;
  const logFile = opts.logFile ?? path.join(root, '.data', 'temporal-server.log');
  const namespace = opts.namespace ?? 'default';

  if (await canConnect(ip, opts.ports.frontend)) throw new Error(`something already listens on ${address}`);
  const server = resolveBinary(SERVER_BINARY, log);
  const sqlTool = resolveBinary(SQL_TOOL_BINARY, log);
  const ui = opts.headless ? undefined : resolveBinary(UI_SERVER_BINARY, log);

  const dropAll = async () => {
    for (const name of [databases.temporal, databases.visibility]) await dropDatabase(databaseUrl(opts.postgres, name));
  };
  if (opts.reset) {
    log(`dropping ${databases.temporal} and ${databases.visibility} (--reset)`);
    await dropAll();
  }
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  setupSchemas(sqlTool.path, opts.postgres, databases);
  log(`schemas of ${databases.temporal} and ${databases.visibility} up to date (${elapsed()})`);

  const children: { child: ChildProcess; exited: Promise<void> }[] = [];
  const stopAll = async () => {
    for (const { child, exited } of children.reverse()) await stopChild(child, exited);
    if (opts.dropOnStop)
      await dropAll().catch((err: unknown) => log(`could not drop Temporal's test databases: ${String(err)}`));
  };

  try {
    const child = spawnLogged(
      server.path,
      [
        '--root',
        root,
        '--config',
        path.relative(root, SERVER_CONFIG_DIR),
        '--env',
        CONFIG_ENV,
        '--allow-no-auth',
        'start',
      ],
      serverEnv(opts, databases),
      logFile,
    );
    children.push({ child, exited: exitedPromise(child) });
    const recorded = await waitForFrontend(address, child, logFile);
    if (recorded !== shards) {
      throw new Error(
        `${databases.temporal} was set up with ${recorded} history shards and the shard count cannot change: ` +
          `ask for ${recorded} shards, or use fresh databases (other names, or --reset to drop these and every workflow in them)`,
      );
    }
    log(`Temporal server serving on ${address} (${elapsed()})`);
    await registerNamespace(address, namespace, opts.retention ?? '168h', log);
    log(`namespace ${namespace} and the search attributes registered (${elapsed()})`);

    let uiUrl: string | undefined;
    if (ui) {
      const uiPort = opts.uiPort ?? 8233;
      const uiChild = spawnLogged(
        ui.path,
        ['--root', root, '--config', path.relative(root, UI_CONFIG_DIR), '--env', CONFIG_ENV, 'start'],
        {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: address,
          TEMPORAL_UI_HOST: ip,
          TEMPORAL_UI_PORT: String(uiPort),
          TEMPORAL_NAMESPACE: namespace,
        },
        logFile.replace(/(\.log)?$/, '-ui.log'),
      );
      children.push({ child: uiChild, exited: exitedPromise(uiChild) });
      await waitForPort(ip, uiPort, 30_000, uiChild);
      uiUrl = `http://${ip}:${uiPort}`;
    }

    return {
      address,
      uiUrl,
      databases,
      shards,
      logFile,
      description:
        `Temporal server v${TEMPORAL_SERVER_VERSION} ${server.path} (from ${server.source}) on PostgreSQL ` +
        `${opts.postgres.host}:${opts.postgres.port} (${databases.temporal}, ${databases.visibility}), ${shards} history shards`,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * For test runs: free ports, databases of their own (`<prefix>_<pid>_<time>` and `…_vis`) so runs never
 * collide, small connection pools, no UI, the log in the temp dir; stop() drops both databases.
 */
export async function startTestTemporalServer(
  postgresUrl: string,
  opts: {
    shards?: number;
    prefix?: string;
    /** Connections per service and store (default 5) and for visibility (default 3). */
    maxConns?: number;
    visibilityMaxConns?: number;
    log?: (msg: string) => void;
  } = {},
): Promise<ServerHandle> {
  const name = `${opts.prefix ?? 'temporal_test'}_${process.pid}_${Date.now().toString(36)}`;
  return startTemporalServer({
    postgres: postgresTarget(postgresUrl),
    database: name,
    visibilityDatabase: `${name}_vis`,
    shards: opts.shards ?? DEFAULT_SHARDS,
    ports: await freePorts(),
    headless: true,
    retention: '24h',
    logFile: path.join(os.tmpdir(), `fleetwave-${name}.log`),
    maxConns: opts.maxConns ?? 5,
    visibilityMaxConns: opts.visibilityMaxConns ?? 3,
    dropOnStop: true,
    log: opts.log,
  });
}
