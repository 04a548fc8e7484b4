// `npm run temporal:dev`: the dev server on 127.0.0.1:7233, Web UI on :8233, state in .data/temporal.db.
import path from 'node:path';
import { launchTemporal, splitAddress } from './lib/temporal';

async function main(): Promise<void> {
  const { host, port } = splitAddress(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233');
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  const dbFile = path.resolve(process.env.TEMPORAL_DB_FILE ?? path.join(__dirname, '..', '.data', 'temporal.db'));
  const server = await launchTemporal({ ip: host, port, uiPort, dbFile });
  console.error(server.description);
  console.error(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl ?? '(none)'}, state in ${dbFile}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
