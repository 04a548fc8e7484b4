// `npm test` body: starts a throwaway Temporal dev server and a fresh PostgreSQL database, runs every
// test file against them with node's test runner, then removes both. With --workflows (`npm run
// test:workflows`) it runs only the stub-activity workflow tests, which need Temporal and no database.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, migrate } from '../db/migrate';
import { bundleWorkflows, WORKFLOW_BUNDLE_ENV } from '../test/workflows/bundle';
import { freePort, launchTemporal } from './lib/temporal';

const root = path.join(__dirname, '..');

const ALL_DIRS = ['test/unit', 'test/workflows', 'test/integration'];
const WORKFLOW_DIRS = ['test/workflows'];

function testFiles(dirs: string[], args: string[]): string[] {
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

interface Database {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database (not for the workflow tests, which need none). */
async function createDatabase(): Promise<Database> {
  const baseUrl = new URL(
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  baseUrl.pathname = `/fleetwave_test_${process.pid}_${Date.now().toString(36)}`;
  const url = baseUrl.toString();
  const database: Database = {
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

interface SharedBundle {
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/** The workflow tests' bundle, made once here instead of once per test file (webpack takes seconds). */
async function shareWorkflowBundle(files: string[]): Promise<SharedBundle> {
  const workflowTests = files.some((f) => path.normalize(f).startsWith(path.normalize('test/workflows/')));
  if (!workflowTests) return { env: {}, remove: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-workflows-'));
  const codePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(codePath, (await bundleWorkflows()).code);
  return { env: { [WORKFLOW_BUNDLE_ENV]: codePath }, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
        ...files,
      ],
      { cwd: root, stdio: 'inherit', env },
    );
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const workflowsOnly = args.includes('--workflows');
  const files = testFiles(
    workflowsOnly ? WORKFLOW_DIRS : ALL_DIRS,
    args.filter((a) => a !== '--workflows'),
  );

  const port = await freePort();
  const temporal = await launchTemporal({
    port,
    headless: true,
    stdio: 'ignore',
    // Small so the continue-as-new path runs on small test fleets.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 },
  });
  let database: Database | undefined;
  let bundle: SharedBundle | undefined;
  try {
    database = workflowsOnly ? undefined : await createDatabase();
    bundle = await shareWorkflowBundle(files);
    console.error(
      `test stack: ${temporal.description} on ${temporal.address}; ` +
        (database ? `database ${database.name}` : 'no database (workflow tests with stub activities)'),
    );
    return await runTests(files, {
      ...process.env,
      ...bundle.env,
      ...(database ? { DATABASE_URL: database.url } : {}),
      TEMPORAL_ADDRESS: temporal.address,
      FLEETWAVE_TEST: '1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    });
  } finally {
    bundle?.remove();
    await database?.drop();
    await temporal.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
