// The PostgreSQL pool and the one transaction helper every multi-row write goes through.
import pg from 'pg';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export function createPool(databaseUrl: string, max = 10): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    application_name: 'fleetwave',
  });
  // An idle client losing its server (PostgreSQL restart) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** The cheapest round trip: readiness asks whether PostgreSQL answers at all. */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

export async function withTransaction<T>(db: Db, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True for errors that mean "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'].includes(code)) return true;
  // 57P01 admin shutdown, 57P03 cannot connect now, 53300 too many connections, 08xxx connection exceptions.
  if (code === '57P01' || code === '57P03' || code === '53300' || code.startsWith('08')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}
