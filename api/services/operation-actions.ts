// Where a REST control becomes a Temporal message. Pause, resume, cancel, approve, retry and skip go to the
// workflow as its operatorAction update: the workflow checks them, applies or rejects them, audits them,
// and its answer becomes 200 (with the status) or 409/403 (with its reason). When no worker answers in
// time the action is delivered as the signal of the same name instead (202): the workflow decides later,
// once, and its audit row says what it decided. Live plan edits (PATCH, move, append) are in plan-edits.ts.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { alarmStatuses } from '../../db/alarms';
import { recordAudit } from '../../db/audit';
import type { OperationRecord } from '../../db/operations';
import type { Db } from '../../db/pool';
import { getRun } from '../../db/runs';
import type { Actor } from '../../domain/auth';
import { FleetError, ValidationFailed } from '../../domain/errors';
import type { ActionBody, ApproveBody } from '../../domain/operation-requests';
import type { LiveView } from '../../domain/operation-status';
import { DEFAULT_ALARM_INTERVAL_SECONDS } from '../../domain/alarms';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import type { ActionOutcome, OperatorActionInput, OperatorActionName } from '../../domain/workflow-contracts';
import * as msg from '../../workflows/messages';
import { isUnanswered, rethrowUpdateError, type TemporalCall } from '../temporal-errors';
import { guardResumeRefusal } from './guard';
import type { ReadLiveView } from './operation-live-view';
import { findOperationOrThrow, type OperationStatus } from './operation-status';
import type { SingleFlight } from './single-flight';

export interface OperationActionsDeps {
  db: Db;
  client: Client;
  temporal: TemporalCall;
  liveView: ReadLiveView;
  statusCache: SingleFlight<OperationStatus>;
  /** The operation's status, as GET /v1/operations/{id} answers it. */
  status: (id: string) => Promise<OperationStatus>;
  allowSelfApproval: boolean;
}

/** What an action route answers: the status once the workflow applied it, or the note that it was delivered. */
export type ActionAnswer =
  | { status: 200; body: OperationStatus & { actionResult: ActionReport } }
  | { status: 202; body: ActionReport & { id: string } };

interface ActionReport {
  name: OperatorActionName;
  actionId: string;
  outcome: 'applied' | 'delivered';
  message: string;
}

/** The HTTP status of a rejection the workflow (or the API, for what it can see itself) gave. */
function rejectionStatus(reason: string): number {
  if (reason === 'self_approval_forbidden') return 403;
  if (reason === 'cluster_not_found') return 404;
  if (['by_required', 'wave_required', 'cluster_required', 'unknown_action'].includes(reason)) return 400;
  return 409;
}

/** The signal that carries the same action when no worker answers the update, and its payload. */
function signalOf(input: OperatorActionInput): () => [string, object] {
  const { action, wave, clusterId, comment, ...actor } = input;
  switch (action) {
    case 'pause':
    case 'resume':
    case 'cancel':
      return () => [action, actor];
    case 'approve':
      return () => ['approveWave', { ...actor, wave, ...(comment === undefined ? {} : { comment }) }];
    case 'retry':
      return () => ['retryCluster', { ...actor, clusterId }];
    case 'skip':
      return () => ['skipCluster', { ...actor, clusterId }];
  }
}

export function createOperationActions(deps: OperationActionsDeps) {
  const { db, client, temporal, liveView, statusCache } = deps;
  const workflow = (id: string) => client.workflow.getHandle(id);

  /**
   * A rejection the API can see without the workflow (the operation finished, or an alarm fires while no
   * worker answers): audited like the workflow's own, then answered.
   */
  async function refuse(actor: Actor, input: OperatorActionInput, id: string, reason: string, message: string) {
    await recordAudit(db, {
      ...actor,
      action: `operation.${input.action}`,
      targetType: 'operation',
      targetId: id,
      operationId: id,
      ...(input.actionId ? { actionKey: input.actionId } : {}),
      payload: { ...detailsOf(input), via: 'api', outcome: 'rejected', reason, message },
    });
    return new FleetError(rejectionStatus(reason), reason, message);
  }

  /** The update's answer, or undefined when the workflow gave none in time (no worker, or a busy one). */
  async function askWorkflow(id: string, input: OperatorActionInput): Promise<ActionOutcome | undefined> {
    try {
      return await temporal(
        id,
        () => workflow(id).executeUpdate(msg.operatorActionUpdate, { args: [input], updateId: input.actionId }),
        (operationId, err) => {
          if (isUnanswered(err)) throw new Unanswered();
          return rethrowUpdateError(operationId, err, 'invalid_state');
        },
      );
    } catch (err) {
      if (err instanceof Unanswered) return undefined;
      throw err;
    }
  }

  async function act(
    actor: Actor,
    record: OperationRecord,
    request: Pick<OperatorActionInput, 'action' | 'wave' | 'clusterId' | 'comment'>,
  ): Promise<ActionAnswer> {
    const id = record.id;
    const input: OperatorActionInput = {
      ...request,
      by: actor.identity,
      role: actor.role,
      via: 'api',
      actionId: randomUUID(),
      ...(actor.requestId ? { requestId: actor.requestId } : {}),
    };
    const live = await liveView(record);
    if (isFinished(live)) {
      throw await refuse(
        actor,
        input,
        id,
        'operation_finished',
        `operation '${id}' is ${live.state}: it takes no more actions`,
      );
    }
    // A fleet limit that paused it is read here, so the refusal comes even while no worker runs.
    const guarded = input.action === 'resume' ? await guardResumeRefusal(db, id, live.op?.pauseReason) : null;
    if (guarded) throw await refuse(actor, input, id, guarded.reason, guarded.message);
    // A query answered: a worker runs, so the update gets the workflow's own answer.
    const outcome = live.source === 'query' ? await askWorkflow(id, input) : undefined;
    statusCache.invalidate(id);
    const report = { name: input.action, actionId: input.actionId! };
    if (outcome?.outcome === 'applied') {
      return {
        status: 200,
        body: { ...(await deps.status(id)), actionResult: { ...report, outcome: 'applied', message: outcome.message } },
      };
    }
    if (outcome)
      throw new FleetError(rejectionStatus(outcome.reason ?? ''), outcome.reason ?? 'rejected', outcome.message);
    if (input.action === 'resume') await refuseResumeWhileFiring(actor, input, record);
    const [name, payload] = signalOf(input)();
    await temporal(id, () => workflow(id).signal(name, payload));
    // The workflow's own row (applied or rejected) follows when a worker runs; this one says it was sent.
    await recordAudit(db, {
      ...actor,
      action: `operation.${input.action}`,
      targetType: 'operation',
      targetId: id,
      operationId: id,
      payload: { ...detailsOf(input), via: 'api', outcome: 'delivered', actionId: input.actionId },
    });
    return {
      status: 202,
      body: {
        id,
        ...report,
        outcome: 'delivered',
        message:
          `no worker answered for operation '${id}' in time: the ${input.action} was delivered as a signal and ` +
          'the workflow applies or rejects it when a worker runs; its audit row says which (GET /v1/operations/{id}/events)',
      },
    };
  }

  /** Without a live answer the stored alarm evaluations stand in for the workflow's view. */
  async function refuseResumeWhileFiring(actor: Actor, input: OperatorActionInput, record: OperationRecord) {
    if ((record.request.alarms ?? []).length === 0) return;
    const firing = (await alarmStatuses(db, record.id)).filter((alarm) => alarm.firing);
    if (firing.length === 0) return;
    const every = record.request.alarmIntervalSeconds ?? DEFAULT_ALARM_INTERVAL_SECONDS;
    const named = firing.map((alarm) => `'${alarm.name}' (${alarm.message})`).join(', ');
    throw await refuse(
      actor,
      input,
      record.id,
      'alarm_firing',
      `operation '${record.id}' cannot resume while ${named} ${firing.length === 1 ? 'fires' : 'fire'}; alarms are evaluated every ${every}s: resume once status shows none firing`,
    );
  }

  async function clusterRun(id: string, clusterId: string) {
    const run = await getRun(db, id, clusterId);
    if (!run) throw new FleetError(404, 'not_found', `cluster '${clusterId}' is not part of operation '${id}'`);
    return run;
  }

  const control = (action: 'pause' | 'resume' | 'cancel') => async (actor: Actor, id: string, body: ActionBody) =>
    act(actor, await findOperationOrThrow(db, id), { action, ...commentOf(body) });

  const clusterControl =
    (action: 'retry' | 'skip') => async (actor: Actor, id: string, clusterId: string, body: ActionBody) => {
      const record = await findOperationOrThrow(db, id);
      await clusterRun(id, clusterId);
      return act(actor, record, { action, clusterId, ...commentOf(body) });
    };

  return {
    pause: control('pause'),
    resume: control('resume'),
    cancel: control('cancel'),
    retry: clusterControl('retry'),
    skip: clusterControl('skip'),

    async approve(actor: Actor, id: string, body: ApproveBody) {
      const record = await findOperationOrThrow(db, id);
      if (!record.plan.waves.some((wave) => wave.number === body.wave)) {
        throw new ValidationFailed(`operation '${id}' has no wave ${body.wave}`, [
          { path: 'wave', message: `waves are 1 to ${record.plan.waves.length}` },
        ]);
      }
      const comment = body.comment === undefined ? {} : { comment: body.comment };
      const approval = { action: 'approve' as const, wave: body.wave, ...comment };
      // The workflow enforces four-eyes too; saying so here answers 403 even when no worker runs.
      if (record.startedBy === actor.identity && !deps.allowSelfApproval) {
        const input = { ...approval, by: actor.identity, via: 'api' as const, actionId: randomUUID() };
        throw await refuse(
          actor,
          input,
          id,
          'self_approval_forbidden',
          `'${actor.identity}' started operation '${id}' and cannot approve its waves: another approver must (four-eyes)`,
        );
      }
      return act(actor, record, approval);
    },
  };
}

/** The caller's reason for an action, kept in its audit row as the action's comment. */
function commentOf(body: ActionBody): { comment?: string } {
  return body.reason === undefined ? {} : { comment: body.reason };
}

/** What an action named, as the workflow's audit rows keep it. */
function detailsOf({ wave, clusterId, comment }: OperatorActionInput) {
  return {
    ...(wave === undefined ? {} : { wave }),
    ...(clusterId === undefined ? {} : { clusterId }),
    ...(comment === undefined ? {} : { comment }),
  };
}

const isFinished = (live: LiveView) => (FINAL_OPERATION_STATES as readonly string[]).includes(live.state);

/** The workflow gave no answer in time: the action goes as a signal instead. */
class Unanswered extends Error {}
