// POST /v1/operations: plan, record and start the workflow once per idempotency key; a repeat answers
// with the operation the key made, and a start Temporal missed is finished by repeating the request.
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_ALARM_INTERVAL_SECONDS } from '../../domain/alarms';
import { DEFAULT_APPLY_TIMEOUT_SECONDS } from '../../domain/deadlines';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { allClusters } from '../../db/clusters';
import * as repo from '../../db/operations';
import type { Db } from '../../db/pool';
import type { Actor } from '../../domain/auth';
import { Conflict, DependencyUnavailable, FleetError, ValidationFailed } from '../../domain/errors';
import { OPERATION_WORKFLOW_TYPE, operationWorkflowId } from '../../domain/ids';
import { DEFAULT_LEASE_CHECK_SECONDS, type OperationRequest } from '../../domain/operation';
import { canonicalJson, describeOperation, operationInput, planOrThrow } from '../../domain/operation-start';
import type { LiveView } from '../../domain/operation-status';
import { FLEET_ACTION, FLEET_OPERATION_NAME, FLEET_STATE, FLEET_TARGET_VERSION } from '../../domain/search-attributes';
import type { OperationInput } from '../../domain/workflow-contracts';
import type { TemporalCall } from '../temporal-errors';
import type { Forecasts } from './forecast';
import type { ReadLiveView } from './operation-live-view';

export interface OperationStartDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  temporal: TemporalCall;
  liveView: ReadLiveView;
  allowSelfApproval: boolean;
  forecasts: Forecasts;
}

/**
 * The idempotency fingerprint: the validated request (defaults filled in) without its requestId. Fields
 * added later leave the fingerprint alone while they hold their defaults, so a request repeated across
 * the upgrade that added them still finds the operation it started.
 */
function requestHash(request: OperationRequest): string {
  const {
    requestId: _ignored,
    limits,
    alarms,
    alarmIntervalSeconds,
    monitor,
    onLeased,
    waveOverrides,
    ...rest
  } = request;
  const { require, shadowRequire, ...monitorRest } = monitor;
  const added = {
    ...(limits.applyTimeoutSeconds === DEFAULT_APPLY_TIMEOUT_SECONDS &&
    limits.leaseCheckSeconds === DEFAULT_LEASE_CHECK_SECONDS
      ? {}
      : { limits }),
    ...(onLeased === 'wait' ? {} : { onLeased }),
    ...(alarms.length === 0 && alarmIntervalSeconds === DEFAULT_ALARM_INTERVAL_SECONDS
      ? {}
      : { alarms, alarmIntervalSeconds }),
    monitor: {
      ...monitorRest,
      ...(require.length === 0 ? {} : { require }),
      ...(shadowRequire.length === 0 ? {} : { shadowRequire }),
    },
    // No overrides and `{}` change nothing: both hash as before waveOverrides existed.
    ...(waveOverrides === undefined || Object.keys(waveOverrides).length === 0 ? {} : { waveOverrides }),
  };
  return createHash('sha256')
    .update(canonicalJson({ ...rest, ...added }))
    .digest('hex');
}

export function createOperationStart({
  db,
  client,
  taskQueue,
  temporal,
  liveView,
  allowSelfApproval,
  forecasts,
}: OperationStartDeps) {
  /** Starts (or finds) the workflow of a recorded operation; USE_EXISTING makes a repeat harmless. */
  async function launch(record: repo.OperationRecord): Promise<void> {
    const { request, plan } = record;
    const attributes: SearchAttributePair[] = [
      { key: FLEET_OPERATION_NAME, value: record.name },
      { key: FLEET_ACTION, value: request.action.type },
      { key: FLEET_STATE, value: 'running' },
    ];
    if (request.action.type === 'upgrade')
      attributes.push({ key: FLEET_TARGET_VERSION, value: request.action.targetVersion });
    const { summary, details } = describeOperation(request, plan, record.startedBy);
    try {
      await temporal(record.id, () =>
        client.workflow.start<(input: OperationInput) => Promise<unknown>>(OPERATION_WORKFLOW_TYPE, {
          taskQueue,
          workflowId: record.id,
          args: [operationInput(record, { allowSelfApproval })],
          workflowIdConflictPolicy: 'USE_EXISTING',
          // An operation runs once: a finished one must never be started again by a repeated request.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: attributes,
          staticSummary: summary,
          staticDetails: details,
        }),
      );
    } catch (err) {
      if (err instanceof DependencyUnavailable) {
        throw new FleetError(
          503,
          'temporal_unavailable',
          `Temporal is not reachable: operation '${record.id}' is recorded but not started; repeat the same request with Idempotency-Key '${record.idempotencyKey}' to start it`,
          [
            {
              path: 'Idempotency-Key',
              message: 'repeat the request with this key',
              operationId: record.id,
              idempotencyKey: record.idempotencyKey,
            },
          ],
        );
      }
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await repo.markWorkflowStarted(db, record.id);
  }

  /** The answer to a repeated request: the same operation, or 409 when the key came with another body. */
  async function replay(existing: repo.OperationRecord, hash: string, key: string) {
    if (existing.requestHash !== hash) {
      throw new Conflict(
        'idempotency_conflict',
        `idempotency key '${key}' was used for operation '${existing.id}' with a different request`,
        [{ path: 'requestId', message: 'use a new key for a different request', operationId: existing.id }],
      );
    }
    let state: LiveView['state'] = 'running';
    if (existing.workflowStartedAt === null) await launch(existing);
    else state = (await liveView(existing, false)).state;
    return { outcome: 'existing' as const, body: { id: existing.id, state, plan: existing.plan } };
  }

  return {
    async start(actor: Actor, request: OperationRequest, opts: { dryRun: boolean; idempotencyKey?: string }) {
      if (request.requestId && opts.idempotencyKey && request.requestId !== opts.idempotencyKey) {
        throw new ValidationFailed('requestId and the Idempotency-Key header differ; give one key', [
          { path: 'requestId', message: 'differs from Idempotency-Key' },
        ]);
      }
      const key = request.requestId ?? opts.idempotencyKey;
      const hash = requestHash(request);
      if (!opts.dryRun && key !== undefined) {
        // Before planning: a repeat must answer with the operation it made, whatever the inventory says now.
        const existing = await repo.findOperationByKey(db, key);
        if (existing) return replay(existing, hash, key);
      }
      const clusters = await allClusters(db);
      const plan = planOrThrow(request, clusters);
      if (opts.dryRun) {
        const forecast = await forecasts.forPlan(request, plan, clusters, new Date());
        return { outcome: 'planned' as const, body: { plan, forecast } };
      }

      const id = operationWorkflowId(request.name, randomBytes(3).toString('hex'));
      // Without a key of the caller's, the id is the key: a 503 answer can name it for the retry.
      const idempotencyKey = key ?? id;
      const record = await repo.createOperation(
        db,
        { id, name: request.name, request, requestHash: hash, idempotencyKey, plan, startedBy: actor.identity },
        new Map(clusters.map((cluster) => [cluster.id, cluster.version])),
        {
          ...actor,
          action: 'operation.start',
          targetType: 'operation',
          targetId: id,
          operationId: id,
          payload: { request, total: plan.total, waves: plan.waves.length, skipped: plan.skipped.length },
        },
      );
      if (!record) return replay((await repo.findOperationByKey(db, idempotencyKey))!, hash, idempotencyKey);
      await launch(record);
      return { outcome: 'created' as const, body: { id, state: 'running' as const, plan } };
    },
  };
}
