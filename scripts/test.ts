// `npm test` body: starts a throwaway Temporal dev server and a fresh PostgreSQL database, runs every
// test file against them with node's test runner, then removes both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dropDatabase, migrate } from '../db/migrate';
import { freePort, launchTemporal } from './lib/temporal';

const root = path.join(__dirname, '..');

function testFiles(args: string[]): string[] {
  if (args.length > 0) return args;
  return ['test/unit', 'test/integration'].flatMap((dir) =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter((f) => f.endsWith('.test.ts'))
          .sort()
          .map((f) => `${dir}/${f}`)
      : [],
  );
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  const baseUrl = new URL(
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  baseUrl.pathname = `/fleetwave_test_${process.pid}_${Date.now().toString(36)}`;
  const databaseUrl = baseUrl.toString();

  const port = await freePort();
  const temporal = await launchTemporal({
    port,
    headless: true,
    stdio: 'ignore',
    // Small so the continue-as-new path runs on small test fleets.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 },
  });
  console.error(`test stack: ${temporal.description} on ${temporal.address}; database ${baseUrl.pathname.slice(1)}`);
  try {
    await migrate(databaseUrl);
    const code = await new Promise<number>((resolve) => {
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
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            DATABASE_URL: databaseUrl,
            TEMPORAL_ADDRESS: temporal.address,
            FLEETWAVE_TEST: '1',
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          },
        },
      );
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    return code;
  } finally {
    await dropDatabase(databaseUrl).catch((err: unknown) =>
      console.error(`could not drop test database: ${String(err)}`),
    );
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
