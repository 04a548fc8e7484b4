// `npm run temporal:server`: the production-shape Temporal server (PostgreSQL persistence, SQL visibility,
// N history shards) on 127.0.0.1:7233 with its Web UI on :8233, from the files docker-compose.yml uses.
// Ctrl-C stops both.
import { parseArgs } from 'node:util';
import { splitAddress } from './lib/temporal';
import { defaultPorts, DEFAULT_SHARDS, postgresTarget, startTemporalServer } from './lib/temporal-server';

const USAGE = `usage: npm run temporal:server -- [--shards N] [--database NAME] [--reset] [--headless]
  --shards N        history shards (default TEMPORAL_SHARDS or ${DEFAULT_SHARDS}); fixed once the databases are used
  --database NAME   Temporal's database (default TEMPORAL_SERVER_DB or temporal); visibility goes to NAME_visibility
  --reset           drop both databases first: every workflow in them is lost
  --headless        no Web UI`;

/** A positive integer from a flag or variable, or a readable error naming it. */
function positiveInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shards: { type: 'string' },
      database: { type: 'string' },
      reset: { type: 'boolean', default: false },
      headless: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.error(USAGE);
    return;
  }
  const shards = positiveInt(
    values.shards !== undefined ? '--shards' : 'TEMPORAL_SHARDS',
    values.shards ?? process.env.TEMPORAL_SHARDS ?? String(DEFAULT_SHARDS),
  );
  const database = values.database ?? process.env.TEMPORAL_SERVER_DB ?? 'temporal';
  const { host, port } = splitAddress(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233');
  const postgresUrl =
    process.env.TEMPORAL_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  const server = await startTemporalServer({
    postgres: postgresTarget(postgresUrl),
    database,
    visibilityDatabase: `${database}_visibility`,
    shards,
    ip: host,
    ports: defaultPorts(port),
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    headless: values.headless,
    reset: values.reset,
    logLevel: 'info',
  });
  console.error(server.description);
  console.error(`Temporal frontend ${server.address} (namespace default), Web UI ${server.uiUrl ?? '(none)'}`);
  console.error(`server log: ${server.logFile}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
