// `npm run migrate`: creates the database if missing and applies pending migrations.
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const result = await migrate(config.databaseUrl, (m) => console.error(m));
  const where = new URL(config.databaseUrl);
  where.password = '';
  if (result.created) console.log(`created database ${where.pathname.slice(1)}`);
  console.log(result.applied.length ? `applied migrations: ${result.applied.join(', ')}` : 'database is up to date');
}

main().catch((err: unknown) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
