// The pinned Temporal server, its SQL tool and the Web UI server: where each comes from (a prebuilt binary
// named by its variable, the cache, or one `go install` into the cache beside the CLI's).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from './temporal';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_SERVER_VERSION = '2.42.1';

export interface GoBinary {
  /** What the messages call it. */
  label: string;
  /** The environment variable that names a prebuilt binary instead. */
  envVar: string;
  module: string;
  version: string;
  /** Its own cache dir: the server and the UI server are both built as `server`, so each needs its own GOBIN. */
  dirName: string;
  file: string;
}

export const SERVER_BINARY: GoBinary = {
  label: 'Temporal server',
  envVar: 'TEMPORAL_SERVER_BIN',
  module: 'go.temporal.io/server/cmd/server',
  version: TEMPORAL_SERVER_VERSION,
  dirName: `temporal-server-${TEMPORAL_SERVER_VERSION}`,
  file: 'server',
};

export const SQL_TOOL_BINARY: GoBinary = {
  label: 'Temporal SQL tool',
  envVar: 'TEMPORAL_SQL_TOOL',
  module: 'go.temporal.io/server/cmd/tools/sql',
  version: TEMPORAL_SERVER_VERSION,
  dirName: `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`,
  file: 'sql',
};

export const UI_SERVER_BINARY: GoBinary = {
  label: 'Temporal Web UI server',
  envVar: 'TEMPORAL_UI_SERVER',
  module: 'github.com/temporalio/ui-server/v2/cmd/server',
  version: TEMPORAL_UI_SERVER_VERSION,
  dirName: `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`,
  file: 'server',
};

export interface ResolvedBinary {
  path: string;
  source: 'env' | 'cache' | 'go install';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function goOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  return undefined;
}

/** Where `bin` is cached: next to the CLI's cache dir (`~/.cache/fleetwave/<dirName>/<file>`). */
export function cachedPath(bin: GoBinary, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(cacheDir(env)), bin.dirName, bin.file);
}

/** Without building: the binary named by its variable, or the cached one, or undefined. */
export function findBinary(bin: GoBinary, env: NodeJS.ProcessEnv = process.env): ResolvedBinary | undefined {
  const named = env[bin.envVar];
  if (named) {
    if (!isExecutable(named)) throw new Error(`${bin.envVar}=${named} is not an executable file`);
    return { path: named, source: 'env' };
  }
  const cached = cachedPath(bin, env);
  return isExecutable(cached) ? { path: cached, source: 'cache' } : undefined;
}

/** Whether every binary the server needs is there already, or Go can build the missing ones. */
export function canProvideServer(env: NodeJS.ProcessEnv = process.env): boolean {
  const all = [SERVER_BINARY, SQL_TOOL_BINARY];
  return all.every((b) => findBinary(b, env)) || goOnPath(env) !== undefined;
}

/**
 * The binary named by its variable, else the cache, else `go install <module>@v<version>` into the cache
 * (first time only: the server takes a few minutes cold). Throws with what to do when none works.
 */
export function resolveBinary(
  bin: GoBinary,
  log: (msg: string) => void = (m) => console.error(m),
  env: NodeJS.ProcessEnv = process.env,
): ResolvedBinary {
  const found = findBinary(bin, env);
  if (found) return found;
  const go = goOnPath(env);
  const target = cachedPath(bin, env);
  if (!go) {
    throw new Error(
      `${bin.label} v${bin.version} is not in ${target} and Go is not installed to build it: ` +
        `install Go 1.25+, or set ${bin.envVar} to a prebuilt binary`,
    );
  }
  log(`building ${bin.label} v${bin.version} with Go into ${path.dirname(target)} (first time only)…`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const build = spawnSync(go, ['install', `${bin.module}@v${bin.version}`], {
    env: { ...env, GOBIN: path.dirname(target), CGO_ENABLED: env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0 || !isExecutable(target)) {
    throw new Error(`go install ${bin.module}@v${bin.version} failed (exit ${build.status ?? build.signal})`);
  }
  return { path: target, source: 'go install' };
}
