// What `npm test` and `npm run test:faults` share: the test files of some folders, a throwaway Temporal dev
// server and migrated database, and node's test runner over the files with the stack's environment.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dropDatabase, migrate } from '../../db/migrate';
import { freePort, launchTemporal, type TemporalHandle } from './temporal';

export const root = path.join(__dirname, '..', '..');

/** The test servers suggest continue-as-new after this many events, so the path runs on small test fleets. */
export const SUGGEST_CONTINUE_AS_NEW_AT = 200;

/**
 * A throwaway Temporal dev server on a free port, quiet, that suggests continue-as-new early (above): what
 * `npm test` and `npm run test:faults` run against.
 */
export async function launchTestTemporal(): Promise<TemporalHandle> {
  return launchTemporal({
    port: await freePort(),
    headless: true,
    stdio: 'ignore',
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT },
  });
}

/** The files named on the command line, or every `*.test.ts` of these folders, sorted. */
export function testFiles(dirs: string[], args: string[]): string[] {
  if (args.length > 0) return args;
  return dirs.flatMap((dir) =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter((f) => f.endsWith('.test.ts'))
          .sort()
          .map((f) => `${dir}/${f}`)
      : [],
  );
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database named `<prefix>_<pid>_<time>`, migrated; dropped again if the migration fails. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const baseUrl = new URL(
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  baseUrl.pathname = `/${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const url = baseUrl.toString();
  const database: TestDatabase = {
    url,
    name: baseUrl.pathname.slice(1),
    drop: () =>
      dropDatabase(url).catch((err: unknown) => console.error(`could not drop test database: ${String(err)}`)),
  };
  try {
    await migrate(url);
  } catch (err) {
    await database.drop();
    throw err;
  }
  return database;
}

/** Runs node's test runner (spec reporter) over `files`; resolves with its exit code. */
export function runNodeTests(files: string[], concurrency: number, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
      { cwd: root, stdio: 'inherit', env },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
