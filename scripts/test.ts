// `npm test` body: starts a throwaway Temporal dev server and a fresh PostgreSQL database, runs every
// test file against them with node's test runner, then removes both. With --workflows (`npm run
// test:workflows`) it runs only the stub-activity workflow tests, which need Temporal and no database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflows, WORKFLOW_BUNDLE_ENV } from '../test/workflows/bundle';
import { createTestDatabase, launchTestTemporal, runNodeTests, testFiles, type TestDatabase } from './lib/test-stack';

// test/browser drives the dashboard in a real Chromium; its suites skip, saying why, when none is installed.
const ALL_DIRS = ['test/unit', 'test/workflows', 'test/integration', 'test/browser'];
const WORKFLOW_DIRS = ['test/workflows'];

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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const workflowsOnly = args.includes('--workflows');
  const files = testFiles(
    workflowsOnly ? WORKFLOW_DIRS : ALL_DIRS,
    args.filter((a) => a !== '--workflows'),
  );

  const temporal = await launchTestTemporal();
  let database: TestDatabase | undefined;
  let bundle: SharedBundle | undefined;
  try {
    database = workflowsOnly ? undefined : await createTestDatabase('fleetwave_test');
    bundle = await shareWorkflowBundle(files);
    console.error(
      `test stack: ${temporal.description} on ${temporal.address}; ` +
        (database ? `database ${database.name}` : 'no database (workflow tests with stub activities)'),
    );
    return await runNodeTests(files, Number(process.env.TEST_CONCURRENCY ?? 2), {
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
