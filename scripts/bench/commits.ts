// PostgreSQL transactions committed in each database of the stack during a bench phase
// (pg_stat_database.xact_commit): how many writes and reads one cluster costs fleetwave's database
// and, on the PostgreSQL-backed server, Temporal's.
import type { Db } from '../../db/pool';

export type Commits = Record<string, number>;

export async function sampleCommits(db: Db, names: string[]): Promise<Commits> {
  // The statistics are flushed by each backend about once a second: let the last transactions land.
  await new Promise((r) => setTimeout(r, 1500));
  const { rows } = await db.query<{ datname: string; xact_commit: string }>(
    'SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY($1)',
    [names],
  );
  return Object.fromEntries(rows.map((r) => [r.datname, Number(r.xact_commit)]));
}

export function commitsUsed(before: Commits, after: Commits): Commits {
  return Object.fromEntries(Object.keys(after).map((name) => [name, after[name]! - (before[name] ?? 0)]));
}
