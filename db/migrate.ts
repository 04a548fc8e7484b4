// Creates the database when missing and applies the versioned SQL migrations in db/migrations.
import path from 'node:path';
import pg from 'pg';

export interface MigrateResult {
  created: boolean;
  applied: string[];
}

/** Creates the database named in `databaseUrl` if it does not exist (connecting to `postgres`). */
async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    // Two processes racing to create it: the loser finds it there, which is what it wanted.
    if ((err as { code?: string }).code === '42P04') return false;
    throw err;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The SQLSTATE of a plain `RAISE NOTICE`. */
const RAISED_BY_MIGRATION = '00000';

/**
 * Applies pending migrations. `log` receives the runner's warnings and errors, and every NOTICE a migration
 * raises: that is how a migration tells the operator what needs their attention (`npm run migrate` prints them).
 */
export async function migrate(
  databaseUrl: string,
  log: (msg: string) => void = () => undefined,
): Promise<MigrateResult> {
  const created = await ensureDatabase(databaseUrl);
  // node-pg-migrate ships as an ES module only.
  const { runner } = await import('node-pg-migrate');
  // Our own client, so the migrations' notices can be heard; the runner uses it as it is. Only RAISE NOTICE
  // (code 00000) is passed on: PostgreSQL's own notices ("already exists, skipping") are noise at every run.
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('notice', (notice) => {
    if (notice.code === RAISED_BY_MIGRATION) log(`notice: ${notice.message ?? ''}`);
  });
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: path.join(__dirname, 'migrations'),
      migrationsTable: 'fleetwave_migrations',
      direction: 'up',
      count: Infinity,
      checkOrder: true,
      verbose: false,
      log: () => undefined,
      logger: { debug: () => undefined, info: () => undefined, warn: log, error: log },
    });
    return { created, applied: applied.map((m) => m.name) };
  } finally {
    await client.end();
  }
}
