// Where a REST control becomes a Temporal message: pause, resume, cancel, approve, retry and skip are
// signals, PATCH maxParallel an update; each is checked against the live state first and audited after.
import type { Client } from '@temporalio/client';
import { alarmStatuses } from '../../db/alarms';
import { recordAudit } from '../../db/audit';
import type { OperationRecord } from '../../db/operations';
import type { Db } from '../../db/pool';
import { getRun } from '../../db/runs';
import type { Actor } from '../../domain/auth';
import { Conflict, FleetError, ValidationFailed } from '../../domain/errors';
import type { ActionBody, ApproveBody, PatchOperationBody } from '../../domain/operation-requests';
import type { LiveView } from '../../domain/operation-status';
import { DEFAULT_ALARM_INTERVAL_SECONDS } from '../../domain/alarms';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import * as msg from '../../workflows/messages';
import { rethrowUpdateError, type TemporalCall } from '../temporal-errors';
import type { ReadLiveView } from './operation-live-view';
import { findOperationOrThrow, type OperationStatus } from './operation-status';
import type { SingleFlight } from './single-flight';

export interface OperationActionsDeps {
  db: Db;
  client: Client;
  temporal: TemporalCall;
  liveView: ReadLiveView;
  statusCache: SingleFlight<OperationStatus>;
  allowSelfApproval: boolean;
}

const invalidState = (message: string) => new Conflict('invalid_state', message);

function assertActive(id: string, live: LiveView, verb: string): void {
  if (live.state === 'planning' || live.state === 'unknown' || FINAL_OPERATION_STATES.includes(live.state)) {
    throw invalidState(`cannot ${verb} operation '${id}': it is ${live.state}`);
  }
}

/** Four-eyes: who started an operation does not approve its waves, unless configured otherwise. */
function assertMayApprove(actor: Actor, record: OperationRecord, allowSelfApproval: boolean): void {
  if (record.startedBy === actor.identity && !allowSelfApproval) {
    throw new FleetError(
      403,
      'self_approval_forbidden',
      `'${actor.identity}' started operation '${record.id}' and cannot approve its waves: another approver must (four-eyes)`,
    );
  }
}

/**
 * The workflow refuses to resume while an alarm fires; say so, with what the alarm said, instead of a lie.
 * Without a live answer the stored evaluations stand in for the workflow's view.
 */
async function assertNoAlarmFiring(db: Db, record: OperationRecord, live: LiveView): Promise<void> {
  const firing = live.op
    ? (live.op.alarmsFiring ?? [])
    : (record.request.alarms ?? []).length > 0
      ? (await alarmStatuses(db, record.id)).filter((alarm) => alarm.firing)
      : [];
  if (firing.length === 0) return;
  const every = record.request.alarmIntervalSeconds ?? DEFAULT_ALARM_INTERVAL_SECONDS;
  const named = firing.map((alarm) => `'${alarm.name}' (${alarm.message})`).join(', ');
  throw new Conflict(
    'alarm_firing',
    `operation '${record.id}' cannot resume while ${firing.length === 1 ? 'alarm' : 'alarms'} ${named} ${firing.length === 1 ? 'fires' : 'fire'}; alarms are evaluated every ${every}s: resume once status shows none firing`,
  );
}

export function createOperationActions(deps: OperationActionsDeps) {
  const { db, client, temporal, liveView, statusCache } = deps;
  const workflow = (id: string) => client.workflow.getHandle(id);
  const liveViewOf = async (id: string) => liveView(await findOperationOrThrow(db, id));

  /** After Temporal took it: the caller's next status read sees it, and the audit log keeps who did it. */
  async function recorded(actor: Actor, id: string, action: string, payload: object): Promise<void> {
    statusCache.invalidate(id);
    await recordAudit(db, {
      ...actor,
      action: `operation.${action}`,
      targetType: 'operation',
      targetId: id,
      operationId: id,
      payload,
    });
  }

  async function signal(actor: Actor, id: string, action: string, payload: object, send: () => Promise<unknown>) {
    await temporal(id, send);
    await recorded(actor, id, action, payload);
    return { id, accepted: action };
  }

  async function clusterRun(id: string, clusterId: string) {
    const run = await getRun(db, id, clusterId);
    if (!run) throw new FleetError(404, 'not_found', `cluster '${clusterId}' is not part of operation '${id}'`);
    return run;
  }

  return {
    async pause(actor: Actor, id: string, body: ActionBody) {
      const live = await liveViewOf(id);
      assertActive(id, live, 'pause');
      if (live.state === 'paused') throw invalidState(`operation '${id}' is already paused`);
      return signal(actor, id, 'pause', body, () => workflow(id).signal(msg.pauseSignal, { by: actor.identity }));
    },

    async resume(actor: Actor, id: string, body: ActionBody) {
      const record = await findOperationOrThrow(db, id);
      const live = await liveView(record);
      if (live.state !== 'paused')
        throw invalidState(`only a paused operation can be resumed; '${id}' is ${live.state}`);
      await assertNoAlarmFiring(db, record, live);
      return signal(actor, id, 'resume', body, () => workflow(id).signal(msg.resumeSignal, { by: actor.identity }));
    },

    async cancel(actor: Actor, id: string, body: ActionBody) {
      assertActive(id, await liveViewOf(id), 'cancel');
      return signal(actor, id, 'cancel', body, () => workflow(id).signal(msg.cancelSignal, { by: actor.identity }));
    },

    async approve(actor: Actor, id: string, body: ApproveBody) {
      const record = await findOperationOrThrow(db, id);
      assertMayApprove(actor, record, deps.allowSelfApproval);
      if (!record.plan.waves.some((wave) => wave.number === body.wave)) {
        throw new ValidationFailed(`operation '${id}' has no wave ${body.wave}`, [
          { path: 'wave', message: `waves are 1 to ${record.plan.waves.length}` },
        ]);
      }
      const live = await liveView(record);
      // Without a live answer describe still knows the state, not which wave waits: the workflow checks that.
      const waiting = live.op ? live.op.pendingApproval?.wave === body.wave : live.state === 'awaiting_approval';
      if (!waiting) {
        const pending = live.op?.pendingApproval ? `wave ${live.op.pendingApproval.wave} is` : 'no wave is';
        throw invalidState(
          `wave ${body.wave} of '${id}' is not awaiting approval (${pending}; the operation is ${live.state})`,
        );
      }
      const approval = {
        by: actor.identity,
        wave: body.wave,
        ...(body.comment === undefined ? {} : { comment: body.comment }),
      };
      return signal(actor, id, 'approve', body, () => workflow(id).signal(msg.approveWaveSignal, approval));
    },

    async retry(actor: Actor, id: string, clusterId: string, body: ActionBody) {
      const record = await findOperationOrThrow(db, id);
      const run = await clusterRun(id, clusterId);
      if (run.state !== 'failed' && run.state !== 'rolled_back')
        throw invalidState(`only a failed or rolled back cluster can be retried; '${clusterId}' is ${run.state}`);
      const live = await liveView(record);
      if (live.state !== 'running' && live.state !== 'paused')
        throw invalidState(`clusters are retried while the operation is running or paused; '${id}' is ${live.state}`);
      return signal(actor, id, 'retry', { clusterId, ...body }, () =>
        workflow(id).signal(msg.retryClusterSignal, { by: actor.identity, clusterId }),
      );
    },

    async skip(actor: Actor, id: string, clusterId: string, body: ActionBody) {
      const record = await findOperationOrThrow(db, id);
      const run = await clusterRun(id, clusterId);
      if (run.state !== 'pending')
        throw invalidState(`only a pending cluster can be skipped; '${clusterId}' is ${run.state}`);
      assertActive(id, await liveView(record), 'skip a cluster of');
      return signal(actor, id, 'skip', { clusterId, ...body }, () =>
        workflow(id).signal(msg.skipClusterSignal, { by: actor.identity, clusterId }),
      );
    },

    async setMaxParallel(actor: Actor, id: string, body: PatchOperationBody) {
      const live = await liveViewOf(id);
      assertActive(id, live, 'change maxParallel of');
      // An update needs a worker to accept it; refusing now beats an update that lands minutes later.
      if (live.source !== 'query')
        throw new FleetError(
          503,
          'workflow_unavailable',
          `no worker answered for operation '${id}'; try again when the worker runs`,
        );
      const result = await temporal(
        id,
        () =>
          workflow(id).executeUpdate(msg.setMaxParallelUpdate, {
            args: [{ maxParallel: body.maxParallel, by: actor.identity }],
          }),
        (operationId, err) => rethrowUpdateError(operationId, err, 'invalid_max_parallel'),
      );
      await recorded(actor, id, 'set_max_parallel', body);
      return { id, ...result };
    },
  };
}
