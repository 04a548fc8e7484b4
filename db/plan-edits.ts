// Live plan edits in PostgreSQL: a run moved to a later wave, and an appended wave's runs, each written with
// the recorded plan (operations.plan, whose revision moves on) and its audit row in one transaction, once
// per edit key; and the clusters the API stages for a wave it appends (plan_edits).
import { targetVersionOf, type OperationRequest } from '../domain/operation';
import { appendedSelection, type AppendedSelection } from '../domain/plan-edit-requests';
import type { Plan, WaveSettings } from '../domain/planner';
import type { Selector } from '../domain/selector';
import type { WaveSummary } from '../domain/workflow-contracts';
import { recordAudit } from './audit';
import { allClusters } from './clusters';
import { withTransaction, type Db, type Queryable } from './pool';

/** Who made an edit and how; `editKey` (the update's id) makes it written once, however often it is retried. */
export interface EditRecord {
  editKey: string;
  operationId: string;
  by: string;
  role: string;
  via: 'api' | 'temporal';
  requestId?: string;
}

export type EditOutcome<T> =
  ({ outcome: 'applied'; message: string } & T) | { outcome: 'rejected'; reason: string; message: string };

const rejected = (reason: string, message: string) => ({ outcome: 'rejected' as const, reason, message });

/** The payload of the edit already written under this key (a retried activity), if any. */
async function writtenEdit(tx: Queryable, editKey: string): Promise<Record<string, unknown> | undefined> {
  const result = await tx.query<{ payload: Record<string, unknown> }>(
    'SELECT payload FROM audit_events WHERE action_key = $1',
    [editKey],
  );
  return result.rows[0]?.payload;
}

/** The operation's request and plan, locked until the transaction ends: plan edits are written one at a time. */
async function lockedOperation(tx: Queryable, operationId: string) {
  const result = await tx.query<{ request: OperationRequest; plan: Plan }>(
    'SELECT request, plan FROM operations WHERE id = $1 FOR UPDATE',
    [operationId],
  );
  return result.rows[0];
}

async function savePlan(tx: Queryable, operationId: string, plan: Plan): Promise<void> {
  plan.revision = (plan.revision ?? 0) + 1;
  await tx.query('UPDATE operations SET plan = $2::jsonb WHERE id = $1', [operationId, JSON.stringify(plan)]);
}

function audit(tx: Queryable, edit: EditRecord, action: string, target: { type: 'cluster' | 'operation'; id: string }) {
  return (fields: Record<string, unknown>, message: string) =>
    recordAudit(tx, {
      identity: edit.by,
      role: edit.role,
      action,
      targetType: target.type,
      targetId: target.id,
      operationId: edit.operationId,
      requestId: edit.requestId ?? null,
      actionKey: edit.editKey,
      payload: { ...fields, via: edit.via, outcome: 'applied', editId: edit.editKey, message },
    });
}

export interface MoveRecord extends EditRecord {
  clusterId: string;
  toWave: number;
}

/**
 * Moves a run that has not started (pending, never selected: its attempts are 0) to a later wave. The
 * select step claims a run only in the wave that asks for it, under the same row lock, so a wave never
 * starts a cluster moved out of it, and a cluster it has started can no longer move.
 */
export async function moveRun(db: Db, move: MoveRecord): Promise<EditOutcome<{ fromWave: number }>> {
  const { operationId, clusterId, toWave } = move;
  return withTransaction(db, async (tx) => {
    const earlier = await writtenEdit(tx, move.editKey);
    if (earlier) return { outcome: 'applied', fromWave: Number(earlier.fromWave), message: String(earlier.message) };
    const op = await lockedOperation(tx, operationId);
    const runs = await tx.query<{ wave: number; state: string; attempts: number }>(
      'SELECT wave, state, attempts FROM cluster_runs WHERE operation_id = $1 AND cluster_id = $2 FOR UPDATE',
      [operationId, clusterId],
    );
    const run = runs.rows[0];
    if (!op || !run)
      return rejected('cluster_not_found', `cluster '${clusterId}' is not part of operation '${operationId}'`);
    if (run.state !== 'pending' || run.attempts > 0 || run.wave < 1)
      return rejected('not_pending', `only a cluster not started yet can move; '${clusterId}' is ${run.state}`);
    if (run.wave >= toWave)
      return rejected(
        'not_later_wave',
        `cluster '${clusterId}' is in wave ${run.wave}: it can move only to a later wave`,
      );
    const from = op.plan.waves.find((w) => w.number === run.wave);
    const to = op.plan.waves.find((w) => w.number === toWave);
    if (!to) return rejected('unknown_wave', `operation '${operationId}' has no wave ${toWave}`);
    await tx.query(
      'UPDATE cluster_runs SET wave = $3, updated_at = clock_timestamp() WHERE operation_id = $1 AND cluster_id = $2',
      [operationId, clusterId, toWave],
    );
    if (from) from.clusterIds = from.clusterIds.filter((id) => id !== clusterId);
    to.clusterIds = [...to.clusterIds, clusterId].sort();
    await savePlan(tx, operationId, op.plan);
    const message = `cluster '${clusterId}' moved from wave ${run.wave} to wave ${toWave}`;
    const target = { type: 'cluster' as const, id: clusterId };
    await audit(tx, move, 'cluster.move', target)({ clusterId, fromWave: run.wave, toWave }, message);
    return { outcome: 'applied', fromWave: run.wave, message };
  });
}

export interface AppendRecord extends EditRecord {
  /** The new wave's number and name, and the knobs the request gave (the rest come from `defaults`). */
  wave: { number: number; name: string } & Partial<WaveSettings>;
  /** The clusters the API staged under this id; without it the selector chooses them now. */
  staged?: string;
  selector?: Selector;
}

/** The ids of every cluster the operation holds, in a wave or skipped at plan. */
async function operationClusterIds(db: Queryable, operationId: string): Promise<Set<string>> {
  const result = await db.query<{ cluster_id: string }>('SELECT cluster_id FROM cluster_runs WHERE operation_id = $1', [
    operationId,
  ]);
  return new Set(result.rows.map((row) => row.cluster_id));
}

/** The clusters an appended wave would take now (undefined for an operation with no recorded plan). */
export async function selectionFor(
  db: Queryable,
  request: Pick<OperationRequest, 'selector' | 'action'>,
  operationId: string,
  selector: Selector,
): Promise<AppendedSelection> {
  const [clusters, held] = await Promise.all([allClusters(db), operationClusterIds(db, operationId)]);
  return appendedSelection(request, clusters, held, selector);
}

async function chosenClusters(tx: Queryable, append: AppendRecord, request: OperationRequest) {
  if (append.staged) {
    const staged = await tx.query<{ cluster_ids: string[] }>(
      'SELECT cluster_ids FROM plan_edits WHERE id = $1 AND operation_id = $2',
      [append.staged, append.operationId],
    );
    return staged.rows[0]?.cluster_ids;
  }
  return (await selectionFor(tx, request, append.operationId, append.selector ?? { ids: [] })).clusterIds;
}

/**
 * Appends a wave: a pending run for each chosen cluster the operation does not hold yet (one another edit
 * took meanwhile is left out), the wave at the end of the recorded plan, the staged row gone.
 */
export async function appendWaveRuns(db: Db, append: AppendRecord): Promise<EditOutcome<{ wave: WaveSummary }>> {
  const { operationId, wave } = append;
  return withTransaction(db, async (tx) => {
    const earlier = await writtenEdit(tx, append.editKey);
    if (earlier) return { outcome: 'applied', wave: earlier.wave as WaveSummary, message: String(earlier.message) };
    const op = await lockedOperation(tx, operationId);
    if (!op) return rejected('selection_not_found', `operation '${operationId}' has no recorded plan to append to`);
    const { plan, request } = op;
    if (plan.waves.some((w) => w.name === wave.name))
      return rejected('wave_name_taken', `the operation has a wave named '${wave.name}' already`);
    if (plan.waves.length + 1 !== wave.number)
      return rejected(
        'plan_mismatch',
        `the recorded plan has ${plan.waves.length} waves; wave ${wave.number} cannot follow`,
      );
    const ids = await chosenClusters(tx, append, request);
    if (!ids) return rejected('selection_not_found', `no clusters are staged under '${append.staged}'`);
    const inserted = await tx.query<{ cluster_id: string }>(
      `INSERT INTO cluster_runs (operation_id, cluster_id, wave, state, from_version, to_version)
       SELECT $1, c.id, $2, 'pending', c.version, $3 FROM clusters c WHERE c.id = ANY($4::text[])
       ON CONFLICT (operation_id, cluster_id) DO NOTHING RETURNING cluster_id`,
      [operationId, wave.number, targetVersionOf(request.action), ids],
    );
    const clusterIds = inserted.rows.map((row) => row.cluster_id).sort();
    if (clusterIds.length === 0)
      return rejected('empty_wave', 'none of the chosen clusters is in the inventory and outside the operation now');
    const { defaults } = request;
    const settings: WaveSettings = {
      maxParallel: wave.maxParallel ?? defaults.maxParallel,
      maxFailures: wave.maxFailures ?? defaults.maxFailures,
      bakeSeconds: wave.bakeSeconds ?? defaults.bakeSeconds,
      approval: wave.approval ?? defaults.approval,
    };
    plan.waves.push({ number: wave.number, name: wave.name, clusterIds, ...settings });
    plan.total += clusterIds.length;
    await savePlan(tx, operationId, plan);
    if (append.staged) await tx.query('DELETE FROM plan_edits WHERE id = $1', [append.staged]);
    const summary: WaveSummary = { number: wave.number, name: wave.name, size: clusterIds.length, ...settings };
    const message = `wave ${wave.number} '${wave.name}' appended with ${clusterIds.length} cluster(s)`;
    const selector = append.selector ? { selector: append.selector } : {};
    await audit(tx, append, 'wave.append', { type: 'operation', id: operationId })(
      { wave: summary, ...selector },
      message,
    );
    return { outcome: 'applied', wave: summary, message };
  });
}

/** Stages the clusters the API chose for a wave it is about to append. */
export async function stageAppend(db: Queryable, id: string, operationId: string, clusterIds: string[]): Promise<void> {
  await db.query('INSERT INTO plan_edits (id, operation_id, cluster_ids) VALUES ($1, $2, $3::text[])', [
    id,
    operationId,
    clusterIds,
  ]);
}

/** Forgets a staged selection whose wave was not appended. */
export async function dropStaged(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM plan_edits WHERE id = $1', [id]);
}
