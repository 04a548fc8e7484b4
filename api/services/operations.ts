// The operations service the routes call: start, status and actions composed over one Temporal client,
// one deadline policy and one status cache.
import type { Client } from '@temporalio/client';
import { NO_WAVE } from '../../db/operations';
import type { Db } from '../../db/pool';
import { temporalCaller } from '../temporal-errors';
import { createForecasts } from './forecast';
import { createOperationActions } from './operation-actions';
import { createLiveView, createSnapshotView } from './operation-live-view';
import { createOperationStart } from './operation-start';
import { createPlanEdits } from './plan-edits';
import { createOperationStatus, type OperationStatus, type RunPage } from './operation-status';
import { createSingleFlight } from './single-flight';
import { createStatusStreams } from './status-stream';
import { serializeShared } from '../cached-json';

export interface OperationsDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  allowSelfApproval: boolean;
  /** How long a status query waits for a worker before we fall back to describe. */
  queryTimeoutMs?: number;
  /** Deadline of every other Temporal call, so a Temporal outage is a prompt 503, not a hung request. */
  rpcTimeoutMs?: number;
  /**
   * How long one status answer's counts are reused while the operation's snapshot version is unchanged
   * (concurrent callers always share one load); 0 = only share.
   */
  statusCacheMs?: number;
  /** How often a watched operation's status is read for its streams (GET /v1/operations/:id/stream). */
  streamIntervalMs?: number;
  /** How long the run-duration statistics behind forecasts are reused (per kind and action). */
  forecastCacheMs?: number;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

export function createOperationsService(deps: OperationsDeps) {
  const { db, client, taskQueue, allowSelfApproval } = deps;
  const rpcTimeoutMs = deps.rpcTimeoutMs ?? 10_000;
  const temporal = temporalCaller(client, rpcTimeoutMs);
  const liveView = createLiveView({ client, temporal, queryTimeoutMs: deps.queryTimeoutMs ?? 5000 });
  const statusCache = createSingleFlight<OperationStatus>(deps.statusCacheMs ?? 500);
  const snapshotView = createSnapshotView({ client, temporal });
  const pageCache = createSingleFlight<RunPage>(0);
  const forecasts = createForecasts({ db, cacheMs: deps.forecastCacheMs ?? 5000, noWave: NO_WAVE });
  const statusService = createOperationStatus({
    db,
    client,
    temporal,
    liveView,
    snapshotView,
    statusCache,
    pageCache,
    forecasts,
  });
  const streams = createStatusStreams<OperationStatus>({
    load: (id) => statusService.status(id),
    serialize: (value) => serializeShared(value).body,
    finished: (value) => ENDED.has(value.state),
    intervalMs: deps.streamIntervalMs ?? 1000,
  });
  return {
    streams,
    ...createOperationStart({ db, client, taskQueue, temporal, liveView, allowSelfApproval, forecasts }),
    ...statusService,
    ...createOperationActions({
      db,
      client,
      temporal,
      liveView,
      statusCache,
      status: (id) => statusService.status(id),
      allowSelfApproval,
    }),
    ...createPlanEdits({ db, client, temporal, liveView, statusCache, status: (id) => statusService.status(id) }),
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
