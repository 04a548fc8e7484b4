// `npm run test:faults` body: a throwaway Temporal dev server and database, then the fault suite (test/faults) one file at a time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, launchTestTemporal, runNodeTests, testFiles, type TestDatabase } from './lib/test-stack';

async function main(): Promise<number> {
  const files = testFiles(['test/faults'], process.argv.slice(2));
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-faults-'));

  // As for `npm test`: a worker killed while a wave continues as new is one of the scenarios.
  const temporal = await launchTestTemporal();
  let database: TestDatabase | undefined;
  const started = performance.now();
  let code = 1;
  try {
    database = await createTestDatabase('fleetwave_faults');
    console.error(
      `fault stack: ${temporal.description} on ${temporal.address}; database ${database.name}; process logs in ${logDir}`,
    );
    // One file at a time: scenarios kill and restart processes and servers, and their timings must not compete.
    code = await runNodeTests(files, 1, {
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      FLEETWAVE_TEST: '1',
      FAULTS_LOG_DIR: logDir,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    });
  } finally {
    const keep = code !== 0 || process.env.FAULTS_KEEP_LOGS === '1';
    console.error(
      `fault suite: ${((performance.now() - started) / 1000).toFixed(1)} s; ${keep ? `process logs kept in ${logDir}` : 'process logs removed (FAULTS_KEEP_LOGS=1 keeps them)'}`,
    );
    await database?.drop();
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
