// `npm run test:faults` body: a throwaway Temporal dev server and database, then the fault suite (test/faults) one file at a time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, migrate } from '../db/migrate';
import { freePort, launchTemporal } from './lib/temporal';

const root = path.join(__dirname, '..');

function testFiles(args: string[]): string[] {
  if (args.length > 0) return args;
  const dir = 'test/faults';
  return fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `${dir}/${f}`);
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  const baseUrl = new URL(
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  baseUrl.pathname = `/fleetwave_faults_${process.pid}_${Date.now().toString(36)}`;
  const databaseUrl = baseUrl.toString();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-faults-'));

  const temporal = await launchTemporal({ port: await freePort(), headless: true, stdio: 'ignore' });
  console.error(
    `fault stack: ${temporal.description} on ${temporal.address}; database ${baseUrl.pathname.slice(1)}; process logs in ${logDir}`,
  );
  const started = performance.now();
  let code = 1;
  try {
    await migrate(databaseUrl);
    code = await new Promise<number>((resolve) => {
      // One file at a time: scenarios kill and restart processes and servers, and their timings must not compete.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            DATABASE_URL: databaseUrl,
            TEMPORAL_ADDRESS: temporal.address,
            FLEETWAVE_TEST: '1',
            FAULTS_LOG_DIR: logDir,
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          },
        },
      );
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } finally {
    const keep = code !== 0 || process.env.FAULTS_KEEP_LOGS === '1';
    console.error(
      `fault suite: ${((performance.now() - started) / 1000).toFixed(1)} s; ${keep ? `process logs kept in ${logDir}` : 'process logs removed (FAULTS_KEEP_LOGS=1 keeps them)'}`,
    );
    await dropDatabase(databaseUrl).catch((err: unknown) =>
      console.error(`could not drop test database: ${String(err)}`),
    );
    await temporal.stop();
  }
  // Logs are worth keeping when something failed, or when asked.
  if (code === 0 && process.env.FAULTS_KEEP_LOGS !== '1') fs.rmSync(logDir, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
