// What a fault must never break, read from PostgreSQL: one effect per idempotency key, no lease left, no overlapping applies, one run per cluster.
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import type { Queryable } from '../../../db/pool';

export interface ApplyRow {
  id: number;
  clusterId: string;
  key: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
}

export async function applyRows(db: Queryable, clusterIds: string[]): Promise<ApplyRow[]> {
  const { rows } = await db.query<{
    id: string;
    cluster_id: string;
    idempotency_key: string;
    status: string;
    started_at: Date;
    finished_at: Date | null;
  }>(
    `SELECT id, cluster_id, idempotency_key, status, started_at, finished_at FROM sim_apply_requests
      WHERE cluster_id = ANY($1::text[]) AND idempotency_key NOT LIKE '%:rollback' ORDER BY id`,
    [clusterIds],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    clusterId: r.cluster_id,
    key: r.idempotency_key,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}

/**
 * Every cluster of `clusterIds` was applied under `operationId` exactly once: its key has one 'succeeded'
 * row; other rows of the key are interrupted attempts ('running', 'failed') or refused repeats ('duplicate').
 * Returns the interrupted rows, so a test can show the crash left its trace.
 */
export async function assertAppliedOncePerKey(
  db: Queryable,
  operationId: string,
  clusterIds: string[],
): Promise<ApplyRow[]> {
  const rows = (await applyRows(db, clusterIds)).filter((r) => r.key.startsWith(`${operationId}:`));
  for (const id of clusterIds) {
    const mine = rows.filter((r) => r.clusterId === id);
    const keys = new Set(mine.map((r) => r.key));
    assert.equal(keys.size, 1, `${id}: expected one idempotency key, got ${[...keys].join(', ')}`);
    const succeeded = mine.filter((r) => r.status === 'succeeded');
    assert.equal(
      succeeded.length,
      1,
      `${id}: ${succeeded.length} 'succeeded' rows for ${[...keys][0]}: ${mine.map((r) => r.status).join(', ')}`,
    );
    for (const r of mine)
      assert.ok(
        ['succeeded', 'running', 'failed', 'duplicate'].includes(r.status),
        `${id}: unexpected row ${r.status}`,
      );
  }
  return rows.filter((r) => r.status === 'running' || r.status === 'failed');
}

export async function leasesLeft(
  db: Queryable,
  clusterIds: string[],
): Promise<{ clusterId: string; operationId: string }[]> {
  const { rows } = await db.query<{ cluster_id: string; operation_id: string }>(
    'SELECT cluster_id, operation_id FROM leases WHERE cluster_id = ANY($1::text[]) ORDER BY cluster_id',
    [clusterIds],
  );
  return rows.map((r) => ({ clusterId: r.cluster_id, operationId: r.operation_id }));
}

export async function assertNoLeases(db: Queryable, clusterIds: string[]): Promise<void> {
  assert.deepEqual(await leasesLeft(db, clusterIds), [], 'a lease was left behind');
}

/**
 * No two applies of one cluster were in progress at once. A row a crash left 'running' never finished: it
 * counts as in progress until the next attempt of its own key started (that retry is its continuation).
 */
export async function assertNoOverlap(db: Queryable, clusterIds: string[]): Promise<{ intervals: number }> {
  const rows = (await applyRows(db, clusterIds)).filter((r) => r.status !== 'duplicate');
  let intervals = 0;
  for (const id of clusterIds) {
    const mine = rows.filter((r) => r.clusterId === id);
    const spans = mine.map((r) => {
      const next = mine.find((o) => o.key === r.key && o.id > r.id);
      const end = r.finishedAt ?? next?.startedAt ?? new Date(8.64e15);
      return { ...r, end };
    });
    spans.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    intervals += spans.length;
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!;
      const cur = spans[i]!;
      assert.ok(
        cur.startedAt.getTime() >= prev.end.getTime(),
        `${id} was applied twice at once: ${prev.key} (${prev.status}, ${prev.startedAt.toISOString()}–${prev.end.toISOString()}) and ` +
          `${cur.key} (${cur.status}, from ${cur.startedAt.toISOString()})`,
      );
    }
  }
  return { intervals };
}

export interface RunRow {
  clusterId: string;
  state: string;
  attempts: number;
  error: string | null;
  reason: string | null;
}

export async function runsOf(db: Queryable, operationId: string): Promise<RunRow[]> {
  const { rows } = await db.query<{
    cluster_id: string;
    state: string;
    attempts: number;
    error: string | null;
    reason: string | null;
  }>(
    'SELECT cluster_id, state, attempts, error, reason FROM cluster_runs WHERE operation_id = $1 ORDER BY cluster_id',
    [operationId],
  );
  return rows.map((r) => ({
    clusterId: r.cluster_id,
    state: r.state,
    attempts: r.attempts,
    error: r.error,
    reason: r.reason,
  }));
}

/** One run record per planned cluster, every one 'succeeded'; and the inventory shows the target version when given. */
export async function assertAllSucceeded(
  db: Queryable,
  operationId: string,
  clusterIds: string[],
  targetVersion?: string,
): Promise<void> {
  const runs = await runsOf(db, operationId);
  assert.deepEqual(
    runs.map((r) => r.clusterId),
    [...clusterIds].sort(),
    'one run record per cluster',
  );
  assert.deepEqual(
    runs.filter((r) => r.state !== 'succeeded').map((r) => `${r.clusterId}: ${r.state} ${r.error ?? r.reason ?? ''}`),
    [],
    'every run succeeded',
  );
  if (targetVersion) {
    const { rows } = await db.query<{ id: string; version: string }>(
      'SELECT id, version FROM clusters WHERE id = ANY($1::text[])',
      [clusterIds],
    );
    assert.deepEqual(
      rows.filter((r) => r.version !== targetVersion).map((r) => r.id),
      [],
      `inventory at ${targetVersion}`,
    );
  }
}

/**
 * What every crash scenario ends with: every run succeeded at the target version, one succeeded apply per
 * key, no two applies of a cluster overlapping, no lease left. Returns the interrupted apply rows.
 */
export async function assertRanCleanly(
  db: Queryable,
  operationId: string,
  clusterIds: string[],
  targetVersion: string,
): Promise<ApplyRow[]> {
  await assertAllSucceeded(db, operationId, clusterIds, targetVersion);
  const interrupted = await assertAppliedOncePerKey(db, operationId, clusterIds);
  await assertNoOverlap(db, clusterIds);
  await assertNoLeases(db, clusterIds);
  return interrupted;
}

/** The runs of a workflow id that continued as new, as visibility lists them. */
export async function continuedRuns(temporal: Client, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`;
  for await (const run of temporal.workflow.list({ query })) runs.push(run.runId);
  return runs;
}
