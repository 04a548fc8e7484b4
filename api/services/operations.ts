// Operation use cases over Temporal and PostgreSQL: idempotent start, status, list, runs, events, operator actions.
import { createHash, randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  defaultPayloadConverter,
  type Client,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { listAudit, recordAudit } from '../../db/audit';
import { allClusters } from '../../db/clusters';
import * as repo from '../../db/operations';
import type { Db } from '../../db/pool';
import { getRun, inFlightRuns, listRuns, runCounts } from '../../db/run-queries';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import type { OperationInput } from '../../domain/workflow-contracts';
import { Conflict, DependencyUnavailable, FleetError, NotFound, ValidationFailed } from '../../domain/errors';
import { OPERATION_WORKFLOW_TYPE, operationWorkflowId } from '../../domain/ids';
import type { OperationRequest } from '../../domain/operation';
import { FLEET_ACTION, FLEET_OPERATION_NAME, FLEET_STATE, FLEET_TARGET_VERSION } from '../../domain/search-attributes';
import * as api from '../../domain/operation-api';
import * as msg from '../../workflows/messages';
import { decodeCursor, encodeCursor, type Actor } from './inventory';
import { createSingleFlight } from './single-flight';

const SA = {
  name: FLEET_OPERATION_NAME,
  action: FLEET_ACTION,
  targetVersion: FLEET_TARGET_VERSION,
  state: FLEET_STATE,
};

export interface OperationsDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  allowSelfApproval: boolean;
  /** How long a status query waits for a worker before we fall back to describe. */
  queryTimeoutMs?: number;
  /** Deadline of every other Temporal call, so a Temporal outage is a prompt 503, not a hung request. */
  rpcTimeoutMs?: number;
  /** How long one status answer is reused (concurrent callers always share one load); 0 = only share. */
  statusCacheMs?: number;
}

/** The gRPC status code on a client error or its cause (the client wraps them in ServiceError). */
function grpcCode(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The idempotency fingerprint: the validated request (defaults filled in) without its requestId. */
function requestHash(request: OperationRequest): string {
  const { requestId: _ignored, ...rest } = request;
  return createHash('sha256').update(api.canonicalJson(rest)).digest('hex');
}

const invalidState = (message: string) => new Conflict('invalid_state', message);

// Temporal's page token plus a short checksum: the server retries a mangled token until the deadline
// (a 503), so a token we did not hand out must be refused here, as bad input.
const tokenTag = (token: Uint8Array) =>
  createHash('sha256').update('fleetwave-page:').update(token).digest().subarray(0, 6);
const encodePageToken = (token: Uint8Array) => Buffer.concat([tokenTag(token), token]).toString('base64url');
function decodePageToken(text: string): Buffer {
  const raw = Buffer.from(text, 'base64url');
  const token = raw.subarray(6);
  if (raw.length <= 6 || !tokenTag(token).equals(raw.subarray(0, 6))) {
    throw new ValidationFailed('the pageToken is not valid', [
      { path: 'pageToken', message: 'use nextPageToken from a previous page' },
    ]);
  }
  return token;
}

export function createOperationsService(deps: OperationsDeps) {
  const { db, client, taskQueue } = deps;
  const queryTimeoutMs = deps.queryTimeoutMs ?? 5000;
  const rpcTimeoutMs = deps.rpcTimeoutMs ?? 10_000;

  /** Unreachable Temporal becomes 503; a missing workflow 404, or 409 when it has finished. */
  function mapTemporalError(id: string, err: unknown): never {
    if (err instanceof WorkflowNotFoundError) {
      throw /already completed/i.test(err.message)
        ? invalidState(`operation '${id}' has finished`)
        : new NotFound('operation workflow', id);
    }
    const code = grpcCode(err);
    if (code === 14 || code === 4)
      throw new DependencyUnavailable('temporal', 'Temporal is not reachable or did not answer in time; try again');
    throw err;
  }

  /** Runs one Temporal call under a deadline, so an outage is a prompt 503 rather than a hung request. */
  async function temporal<T>(id: string, fn: () => Promise<T>, timeoutMs = rpcTimeoutMs): Promise<T> {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      return mapTemporalError(id, err);
    }
  }

  async function mustFind(id: string): Promise<repo.OperationRecord> {
    const record = await repo.findOperation(db, id);
    if (!record) throw new NotFound('operation', id);
    return record;
  }

  async function view(record: repo.OperationRecord, withQuery = true): Promise<api.LiveView> {
    const handle = client.workflow.getHandle(record.id);
    if (withQuery && record.workflowStartedAt !== null) {
      try {
        const op = await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(msg.statusQuery));
        if (FINAL_OPERATION_STATES.includes(op.state))
          return { source: 'query', state: op.state, op, workflowStatus: null, note: null };
        // A closed workflow still answers queries with its last state: one terminated mid-run would
        // look running forever. Ask Temporal whether it still runs.
        const described = await temporal(record.id, () => handle.describe());
        const status = described.status.name;
        if (status === 'RUNNING') return { source: 'query', state: op.state, op, workflowStatus: null, note: null };
        const state = api.stateFromExecution(status, described.typedSearchAttributes.get(SA.state));
        return {
          source: 'query',
          state,
          op: { ...op, state },
          workflowStatus: status,
          note: `the workflow has ended (${status})`,
        };
      } catch (err) {
        // UNAVAILABLE means Temporal itself is down: describe would fail the same way.
        if (grpcCode(err) === 14) throw new DependencyUnavailable('temporal', 'Temporal is not reachable; try again');
        // Anything else (no worker polling, a closed workflow without a worker): describe says what it can.
      }
    }
    try {
      const described = await temporal(record.id, () => handle.describe());
      const status = described.status.name;
      const note =
        status === 'RUNNING'
          ? 'no worker answered the status query in time: state is the last one the workflow recorded; counts are exact'
          : `the workflow has ended (${status}); counts are exact`;
      const state = api.stateFromExecution(status, described.typedSearchAttributes.get(SA.state));
      return { source: 'describe', state, op: null, workflowStatus: status, note };
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      return record.workflowStartedAt === null
        ? {
            source: 'none',
            state: 'planning',
            op: null,
            workflowStatus: null,
            note: 'the workflow is not started yet (Temporal was unreachable): repeat the start request with the same requestId or Idempotency-Key',
          }
        : {
            source: 'none',
            state: 'unknown',
            op: null,
            workflowStatus: null,
            note: 'Temporal no longer keeps this workflow (retention); counts come from PostgreSQL',
          };
    }
  }

  /** Starts (or finds) the workflow of a recorded operation; USE_EXISTING makes a repeat harmless. */
  async function launch(record: repo.OperationRecord): Promise<void> {
    const { request, plan } = record;
    const attributes: SearchAttributePair[] = [
      { key: SA.name, value: record.name },
      { key: SA.action, value: request.action.type },
      { key: SA.state, value: 'running' },
    ];
    if (request.action.type === 'upgrade')
      attributes.push({ key: SA.targetVersion, value: request.action.targetVersion });
    const { summary, details } = api.describeOperation(request, plan, record.startedBy);
    try {
      await temporal(record.id, () =>
        client.workflow.start<(input: OperationInput) => Promise<unknown>>(OPERATION_WORKFLOW_TYPE, {
          taskQueue,
          workflowId: record.id,
          args: [api.operationInput(record)],
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
    let state: api.LiveView['state'] = 'running';
    if (existing.workflowStartedAt === null) await launch(existing);
    else state = (await view(existing, false)).state;
    return { outcome: 'existing' as const, body: { id: existing.id, state, plan: existing.plan } };
  }

  const statusCache = createSingleFlight<ReturnType<typeof api.buildStatus>>(deps.statusCacheMs ?? 500);

  async function act(actor: Actor, id: string, action: string, payload: object, send: () => Promise<unknown>) {
    await temporal(id, send);
    // The caller's next status read should see what it just did.
    statusCache.invalidate(id);
    await recordAudit(db, {
      ...actor,
      action: `operation.${action}`,
      targetType: 'operation',
      targetId: id,
      operationId: id,
      payload,
    });
    return { id, accepted: action };
  }

  const handle = (id: string) => client.workflow.getHandle(id);

  function assertActive(id: string, live: api.LiveView, verb: string): void {
    if (live.state === 'planning' || live.state === 'unknown' || FINAL_OPERATION_STATES.includes(live.state)) {
      throw invalidState(`cannot ${verb} operation '${id}': it is ${live.state}`);
    }
  }

  async function clusterRun(id: string, clusterId: string) {
    const run = await getRun(db, id, clusterId);
    if (!run) throw new FleetError(404, 'not_found', `cluster '${clusterId}' is not part of operation '${id}'`);
    return run;
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
      const plan = api.planOrThrow(request, clusters);
      if (opts.dryRun) return { outcome: 'planned' as const, body: { plan } };

      const id = operationWorkflowId(request.name, randomBytes(3).toString('hex'));
      // Without a key of the caller's, the id is the key: a 503 answer can name it for the retry.
      const idempotencyKey = key ?? id;
      const record = await repo.createOperation(
        db,
        { id, name: request.name, request, requestHash: hash, idempotencyKey, plan, startedBy: actor.identity },
        new Map(clusters.map((c) => [c.id, c.version])),
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

    async status(id: string) {
      return statusCache.get(id, async () => {
        const record = await mustFind(id);
        const [live, counts, inFlight] = await Promise.all([view(record), runCounts(db, id), inFlightRuns(db, id)]);
        return api.buildStatus({ record, live, counts, inFlight, noWave: repo.NO_WAVE });
      });
    },

    async list(query: api.OperationListQuery) {
      const nextPageToken = query.pageToken === undefined ? undefined : decodePageToken(query.pageToken);
      const listing = await temporal('list', () =>
        client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query: api.operationListQuery(OPERATION_WORKFLOW_TYPE, query),
          pageSize: query.limit,
          nextPageToken,
        }),
      );
      const operations = listing.executions.map((e) => {
        const fields = e.searchAttributes?.indexedFields ?? {};
        const read = (name: string): unknown =>
          fields[name] ? defaultPayloadConverter.fromPayload(fields[name]) : undefined;
        const workflowStatus = api.executionStatusName(e.status);
        return {
          id: e.execution?.workflowId ?? '',
          name: read(SA.name.name) ?? null,
          state: api.stateFromExecution(workflowStatus, read(SA.state.name)),
          action: read(SA.action.name) ?? null,
          targetVersion: read(SA.targetVersion.name) ?? null,
          workflowStatus,
          startedAt: optionalTsToDate(e.startTime)?.toISOString() ?? null,
          closedAt: optionalTsToDate(e.closeTime)?.toISOString() ?? null,
        };
      });
      return {
        operations,
        nextPageToken: listing.nextPageToken?.length ? encodePageToken(listing.nextPageToken) : null,
      };
    },

    async clusters(id: string, query: api.RunListQuery) {
      await mustFind(id);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const page = await listRuns(db, id, { states: query.state, wave: query.wave }, { limit: query.limit, after });
      const last = page.runs.at(-1);
      return { runs: page.runs, nextCursor: page.hasMore && last ? encodeCursor(last.clusterId) : null };
    },

    async events(id: string, query: api.EventListQuery) {
      await mustFind(id);
      const afterId = query.cursor === undefined ? undefined : Number(decodeCursor(query.cursor));
      if (afterId !== undefined && !Number.isSafeInteger(afterId))
        throw new ValidationFailed('the cursor is not valid', [
          { path: 'cursor', message: 'use nextCursor from a previous page' },
        ]);
      const events = await listAudit(db, { operationId: id }, { limit: query.limit + 1, afterId });
      const page = events.slice(0, query.limit);
      return { events: page, nextCursor: events.length > query.limit ? encodeCursor(String(page.at(-1)!.id)) : null };
    },

    async pause(actor: Actor, id: string, body: api.ActionBody) {
      const live = await view(await mustFind(id));
      assertActive(id, live, 'pause');
      if (live.state === 'paused') throw invalidState(`operation '${id}' is already paused`);
      return act(actor, id, 'pause', body, () => handle(id).signal(msg.pauseSignal, { by: actor.identity }));
    },

    async resume(actor: Actor, id: string, body: api.ActionBody) {
      const live = await view(await mustFind(id));
      if (live.state !== 'paused')
        throw invalidState(`only a paused operation can be resumed; '${id}' is ${live.state}`);
      return act(actor, id, 'resume', body, () => handle(id).signal(msg.resumeSignal, { by: actor.identity }));
    },

    async cancel(actor: Actor, id: string, body: api.ActionBody) {
      assertActive(id, await view(await mustFind(id)), 'cancel');
      return act(actor, id, 'cancel', body, () => handle(id).signal(msg.cancelSignal, { by: actor.identity }));
    },

    async approve(actor: Actor, id: string, body: api.ApproveBody) {
      const record = await mustFind(id);
      if (record.startedBy === actor.identity && !deps.allowSelfApproval) {
        throw new FleetError(
          403,
          'self_approval_forbidden',
          `'${actor.identity}' started operation '${id}' and cannot approve its waves: another approver must (four-eyes)`,
        );
      }
      if (!record.plan.waves.some((w) => w.number === body.wave)) {
        throw new ValidationFailed(`operation '${id}' has no wave ${body.wave}`, [
          { path: 'wave', message: `waves are 1 to ${record.plan.waves.length}` },
        ]);
      }
      const live = await view(record);
      // Without a live answer describe still knows the state, not which wave waits: the workflow checks that.
      const waiting = live.op ? live.op.pendingApproval?.wave === body.wave : live.state === 'awaiting_approval';
      if (!waiting) {
        const pending = live.op?.pendingApproval ? `wave ${live.op.pendingApproval.wave} is` : 'no wave is';
        throw invalidState(
          `wave ${body.wave} of '${id}' is not awaiting approval (${pending}; the operation is ${live.state})`,
        );
      }
      const signal = {
        by: actor.identity,
        wave: body.wave,
        ...(body.comment === undefined ? {} : { comment: body.comment }),
      };
      return act(actor, id, 'approve', body, () => handle(id).signal(msg.approveWaveSignal, signal));
    },

    async retry(actor: Actor, id: string, clusterId: string, body: api.ActionBody) {
      const record = await mustFind(id);
      const run = await clusterRun(id, clusterId);
      if (run.state !== 'failed' && run.state !== 'rolled_back')
        throw invalidState(`only a failed or rolled back cluster can be retried; '${clusterId}' is ${run.state}`);
      const live = await view(record);
      if (live.state !== 'running' && live.state !== 'paused')
        throw invalidState(`clusters are retried while the operation is running or paused; '${id}' is ${live.state}`);
      return act(actor, id, 'retry', { clusterId, ...body }, () =>
        handle(id).signal(msg.retryClusterSignal, { by: actor.identity, clusterId }),
      );
    },

    async skip(actor: Actor, id: string, clusterId: string, body: api.ActionBody) {
      const record = await mustFind(id);
      const run = await clusterRun(id, clusterId);
      if (run.state !== 'pending')
        throw invalidState(`only a pending cluster can be skipped; '${clusterId}' is ${run.state}`);
      assertActive(id, await view(record), 'skip a cluster of');
      return act(actor, id, 'skip', { clusterId, ...body }, () =>
        handle(id).signal(msg.skipClusterSignal, { by: actor.identity, clusterId }),
      );
    },

    async setMaxParallel(actor: Actor, id: string, body: api.PatchOperationBody) {
      const live = await view(await mustFind(id));
      assertActive(id, live, 'change maxParallel of');
      // An update needs a worker to accept it; refusing now beats an update that lands minutes later.
      if (live.source !== 'query')
        throw new FleetError(
          503,
          'workflow_unavailable',
          `no worker answered for operation '${id}'; try again when the worker runs`,
        );
      let result: { maxParallel: number };
      try {
        result = await client.withDeadline(Date.now() + rpcTimeoutMs, () =>
          handle(id).executeUpdate(msg.setMaxParallelUpdate, {
            args: [{ maxParallel: body.maxParallel, by: actor.identity }],
          }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new Conflict('invalid_max_parallel', err.cause?.message ?? err.message);
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || grpcCode(err) === 4) {
          throw new FleetError(
            503,
            'workflow_unavailable',
            `operation '${id}' did not accept the update in time; try again`,
          );
        }
        mapTemporalError(id, err);
      }
      statusCache.invalidate(id);
      await recordAudit(db, {
        ...actor,
        action: 'operation.set_max_parallel',
        targetType: 'operation',
        targetId: id,
        operationId: id,
        payload: body,
      });
      return { id, ...result };
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
