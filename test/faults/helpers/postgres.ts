// A private PostgreSQL server (initdb + pg_ctl in a temp dir) that a scenario may stop and start without touching the machine's shared one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../scripts/lib/temporal';

export interface PrivatePostgres {
  port: number;
  dir: string;
  url(database: string): string;
  stop(): void;
  start(): void;
  /** Stops it for good and removes its directory. */
  destroy(): void;
}

const BIN = process.env.FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a private server cannot be made here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(BIN, 'initdb'))) return `no initdb in ${BIN} (set FAULTS_PG_BIN)`;
  if (process.getuid?.() === 0 && !fs.existsSync('/usr/sbin/runuser') && !fs.existsSync('/sbin/runuser'))
    return 'running as root without runuser';
  return undefined;
}

/** initdb refuses root: as root every server command runs as the `postgres` user, which owns the directory. */
function asOwner(command: string, args: string[]): void {
  const [file, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-pg-'));
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  const pgCtl = path.join(BIN, 'pg_ctl');
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  let running = false;
  const pg: PrivatePostgres = {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start() {
      asOwner(pgCtl, ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
      running = true;
    },
    stop() {
      asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    destroy() {
      if (running) {
        try {
          asOwner(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch {
          // already gone: removing the directory is what is left to do
        }
        running = false;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    asOwner(path.join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    pg.start();
  } catch (err) {
    pg.destroy();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not start a private PostgreSQL in ${dir}: ${String(err)} ${stderr}`);
  }
  return pg;
}
