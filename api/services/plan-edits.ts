// Live plan edits over REST: PATCH /v1/operations/{id} (knobs of a wave, or of the running and later ones),
// POST …/clusters/{clusterId}/move and POST …/waves. The API checks what PostgreSQL knows (the operation,
// the cluster's run, which clusters an appended wave takes), sends the edit as the workflow's update and
// answers with what the workflow did. A refusal is a 4xx with the workflow's reason, and leaves nothing
// behind: no event in the workflow's history, no audit row, no staged clusters.
import { randomUUID } from 'node:crypto';
import type { WorkflowUpdateOptions } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { OperationRecord } from '../../db/operations';
import { dropStaged, selectionFor, stageAppend } from '../../db/plan-edits';
import { getRun } from '../../db/runs';
import type { Actor } from '../../domain/auth';
import { FleetError, ValidationFailed } from '../../domain/errors';
import type { PatchOperationBody } from '../../domain/operation-requests';
import type { AppendWaveBody, MoveClusterBody } from '../../domain/plan-edit-requests';
import { emptySelectionMessage } from '../../domain/plan-edit-requests';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import { appendWaveUpdate, editWaveUpdate, moveClusterUpdate } from '../../workflows/messages';
import { rethrowUpdateError, updateRefusal } from '../temporal-errors';
import type { OperationActionsDeps } from './operation-actions';
import { findOperationOrThrow } from './operation-status';

/** What the operator actions need, less the self-approval setting, which no edit consults. */
export type PlanEditsDeps = Omit<OperationActionsDeps, 'allowSelfApproval'>;

/** The HTTP status of a refused edit: malformed input is a 400, a cluster not in the operation a 404. */
function refusalStatus(reason: string): number {
  if (reason === 'cluster_not_found') return 404;
  const malformed = ['by_required', 'nothing_to_change', 'invalid_value', 'cluster_required', 'selection_required'];
  return malformed.includes(reason) ? 400 : 409;
}

export function createPlanEdits(deps: PlanEditsDeps) {
  const { db, client, temporal, liveView, statusCache } = deps;

  /** An edit needs the workflow to answer: a running operation with a worker. */
  async function requireLive(record: OperationRecord): Promise<void> {
    const live = await liveView(record);
    if (
      (FINAL_OPERATION_STATES as readonly string[]).includes(live.state) ||
      live.state === 'planning' ||
      live.state === 'unknown'
    )
      throw new FleetError(
        409,
        'operation_finished',
        `operation '${record.id}' is ${live.state}: its plan takes no edits`,
      );
    // An update needs a worker to accept it; refusing now beats an update that lands minutes later.
    if (live.source !== 'query')
      throw new FleetError(
        503,
        'workflow_unavailable',
        `no worker answered for operation '${record.id}'; try again when the worker runs`,
      );
  }

  /** Sends the update under the edit's id and answers the workflow's result, or its refusal as a 4xx. */
  async function send<Ret, Args extends [unknown]>(
    id: string,
    update: UpdateDefinition<Ret, Args>,
    args: Args,
    editId: string,
  ): Promise<Ret> {
    const options = { args, updateId: editId } as WorkflowUpdateOptions & { args: Args };
    const result = await temporal(
      id,
      () => client.workflow.getHandle(id).executeUpdate(update, options),
      (operationId, err) => {
        const refusal = updateRefusal(err);
        if (refusal) throw new FleetError(refusalStatus(refusal.reason), refusal.reason, refusal.message);
        return rethrowUpdateError(operationId, err, 'invalid_state');
      },
    );
    statusCache.invalidate(id);
    return result;
  }

  const who = (actor: Actor) => ({
    by: actor.identity,
    role: actor.role,
    via: 'api' as const,
    ...(actor.requestId ? { requestId: actor.requestId } : {}),
  });

  return {
    /** PATCH: knobs of one wave, or of the running and every later one; answered with what changed where. */
    async editWaves(actor: Actor, id: string, body: PatchOperationBody) {
      const record = await findOperationOrThrow(db, id);
      const { wave } = body;
      if (wave !== undefined && !record.plan.waves.some((w) => w.number === wave)) {
        throw new ValidationFailed(`operation '${id}' has no wave ${wave}`, [
          { path: 'wave', message: `waves are 1 to ${record.plan.waves.length}` },
        ]);
      }
      await requireLive(record);
      const result = await send(id, editWaveUpdate, [{ ...who(actor), ...body }], randomUUID());
      return { id, ...result };
    },

    /** A cluster not started yet to a later wave that has not started; answered with the status after it. */
    async moveCluster(actor: Actor, id: string, clusterId: string, body: MoveClusterBody) {
      const record = await findOperationOrThrow(db, id);
      const run = await getRun(db, id, clusterId);
      if (!run)
        throw new FleetError(404, 'cluster_not_found', `cluster '${clusterId}' is not part of operation '${id}'`);
      await requireLive(record);
      if (run.state !== 'pending' || run.attempts > 0) {
        const now = run.state === 'pending' ? 'queued again after a retry' : run.state;
        throw new FleetError(409, 'not_pending', `only a cluster not started yet can move; '${clusterId}' is ${now}`);
      }
      const editId = randomUUID();
      const input = { ...who(actor), clusterId, toWave: body.toWave, fromWave: run.wave };
      const moved = await send(id, moveClusterUpdate, [input], editId);
      return { ...(await deps.status(id)), editResult: { name: 'move' as const, editId, ...moved } };
    },

    /**
     * A wave of the inventory clusters its selector (and the operation's) chooses that the operation does not
     * hold yet: chosen here, staged in PostgreSQL, appended by the workflow; answered with the status after it.
     */
    async appendWave(actor: Actor, id: string, body: AppendWaveBody) {
      const record = await findOperationOrThrow(db, id);
      await requireLive(record);
      const selection = await selectionFor(db, record.request, id, body.selector);
      if (selection.clusterIds.length === 0) throw new FleetError(409, 'empty_wave', emptySelectionMessage(selection));
      const editId = randomUUID();
      await stageAppend(db, editId, id, selection.clusterIds);
      try {
        const input = { ...who(actor), ...body, staged: editId, size: selection.clusterIds.length };
        const appended = await send(id, appendWaveUpdate, [input], editId);
        return { ...(await deps.status(id)), editResult: { name: 'append' as const, editId, ...appended } };
      } catch (err) {
        // Not appended: the staged ids go (an update that lands later finds none and changes nothing).
        await dropStaged(db, editId).catch(() => undefined);
        throw err;
      }
    },
  };
}
