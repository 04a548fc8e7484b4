// `npm run temporal -- <args>`: runs the pinned Temporal CLI, provisioning it first if needed.
import { spawnSync } from 'node:child_process';
import { describeCli, resolveTemporalCli, TEMPORAL_CLI_VERSION } from './lib/temporal';

const cli = resolveTemporalCli();
if (!cli) {
  console.error(
    `No Temporal CLI found (TEMPORAL_CLI, PATH, cache) and Go is not installed to build v${TEMPORAL_CLI_VERSION}.\n` +
      'Install Go, or set TEMPORAL_CLI to a temporal binary; `npm run dev` and `npm test` can also use the SDK download.',
  );
  process.exit(1);
}
console.error(describeCli(cli));
const result = spawnSync(cli.path, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
