// The read side of /v1/operations: one operation's status (from the snapshot its workflow keeps current in
// PostgreSQL, cached while its version is current), the visibility listing of operations, and the pages of
// its cluster runs and audit events.
import type { Client } from '@temporalio/client';
import { alarmStatuses } from '../../db/alarms';
import { listAudit } from '../../db/audit';
import { anyFreezeActive, operationFrozen } from '../../db/guard';
import * as repo from '../../db/operations';
import type { Db } from '../../db/pool';
import { inFlightRuns, listRuns, runCounts, shadowCounts, type ClusterRun } from '../../db/runs';
import { readStatusSnapshot, statusSnapshotVersion } from '../../db/status-snapshots';
import { NotFound } from '../../domain/errors';
import { OPERATION_WORKFLOW_TYPE } from '../../domain/ids';
import type { EventListQuery, OperationListQuery, RunListQuery } from '../../domain/operation-requests';
import { buildStatus, type StatusSources } from '../../domain/operation-status';
import type { TemporalCall } from '../temporal-errors';
import { decodePageToken, encodePageToken, listedOperation, operationListQuery } from '../temporal-visibility';
import type { ReadLiveView, ReadSnapshotView } from './operation-live-view';
import type { Forecast } from '../../domain/forecast';
import type { Forecasts } from './forecast';
import { createFreshReads } from './fresh-read';
import { decodeCursor, decodeNumericCursor, encodeCursor } from './page-cursor';
import type { Loaded, SingleFlight } from './single-flight';

export type OperationStatus = ReturnType<typeof buildStatus> & { forecast: Forecast | null };
export interface RunPage {
  runs: ClusterRun[];
  nextCursor: string | null;
}

/** The recorded operation, or 404: every /v1/operations/{id} route starts here. */
export async function findOperationOrThrow(db: Db, id: string): Promise<repo.OperationRecord> {
  const record = await repo.findOperation(db, id);
  if (!record) throw new NotFound('operation', id);
  return record;
}

/** How many operation records a process keeps (each holds its plan, cluster ids included). */
const RECORDS_KEPT = 1000;

/**
 * The recorded operation, read once per process: parsing a 10,000-cluster plan on every read of status or
 * runs was most of their cost under load. A record changes once its workflow started only by a live plan
 * edit, which moves the plan's revision on: a caller that knows of a later revision (the status snapshot
 * names it) reads the record again.
 */
function createRecordCache(db: Db) {
  const records = new Map<string, repo.OperationRecord>();
  return async function record(id: string, revision = 0): Promise<repo.OperationRecord> {
    const kept = records.get(id);
    if (kept && (kept.plan.revision ?? 0) >= revision) return kept;
    records.delete(id);
    const found = await findOperationOrThrow(db, id);
    if (found.workflowStartedAt === null) return found;
    if (records.size >= RECORDS_KEPT) records.delete(records.keys().next().value!);
    records.set(id, found);
    return found;
  };
}

export interface OperationStatusDeps {
  db: Db;
  client: Client;
  temporal: TemporalCall;
  liveView: ReadLiveView;
  snapshotView: ReadSnapshotView;
  /** Shared with the actions, which drop an operation's entry so its caller reads what it just did. */
  statusCache: SingleFlight<OperationStatus>;
  /** Pages of runs, by operation and query: a load in flight is shared, a finished one never reused. */
  pageCache: SingleFlight<RunPage>;
  forecasts: Forecasts;
}

export function createOperationStatus(deps: OperationStatusDeps) {
  const { db, client, temporal, liveView, snapshotView, statusCache, pageCache, forecasts } = deps;
  const recordOf = createRecordCache(db);
  const versions = createFreshReads((id: string) => statusSnapshotVersion(db, id));

  /** Counts, clusters in flight, alarms and freezes: what PostgreSQL adds to the workflow's view. */
  async function fromRuns(record: repo.OperationRecord) {
    const id = record.id;
    const [counts, inFlight, alarms, shadow, frozen] = await Promise.all([
      runCounts(db, id),
      inFlightRuns(db, id),
      (record.request.alarms ?? []).length > 0 ? alarmStatuses(db, id) : [],
      (record.request.monitor.shadowRequire ?? []).length > 0 ? shadowCounts(db, id) : [],
      // The operation's runs are read only while some freeze is active.
      anyFreezeActive(db).then((active) => (active ? operationFrozen(db, id) : null)),
    ]);
    return { counts, inFlight, alarms, shadow, frozen };
  }

  /** The status with its forecast, computed once per load (never per request) from cached statistics. */
  async function withForecast(record: repo.OperationRecord, sources: Omit<StatusSources, 'record' | 'noWave'>) {
    const status = buildStatus({ record, ...sources, noWave: repo.NO_WAVE });
    return { ...status, forecast: await forecasts.forStatus(record, status) };
  }

  /** Status from the snapshot the workflow wrote; its version says how current the answer is. */
  async function fromSnapshot(id: string): Promise<Loaded<OperationStatus>> {
    const kept = await recordOf(id);
    const [stored, runs] = await Promise.all([readStatusSnapshot(db, id), fromRuns(kept)]);
    if (!stored) return fromWorkflow(id);
    // The snapshot shows a plan edit the record held here predates: its waves, sizes and ids are read again.
    const record = await recordOf(id, stored.snapshot.planRevision ?? 0);
    const live = await snapshotView(record, stored.snapshot);
    return { version: stored.version, value: await withForecast(record, { live, ...runs }) };
  }

  /** An operation whose workflow has written no snapshot yet (started before snapshots): ask the workflow. */
  async function fromWorkflow(id: string): Promise<Loaded<OperationStatus>> {
    const record = await findOperationOrThrow(db, id);
    const [live, runs] = await Promise.all([liveView(record), fromRuns(record)]);
    return { version: null, value: await withForecast(record, { live, ...runs }) };
  }

  return {
    /**
     * A read of the snapshot's version that started after the call (shared with the calls that came at the
     * same time); the answer itself is shared and reused while that version is current, so an action's new
     * snapshot shows at once on every API process.
     */
    async status(id: string) {
      const version = (await versions.read(id)) ?? null;
      return statusCache.get(id, version, () => (version === null ? fromWorkflow(id) : fromSnapshot(id)));
    },

    async list(query: OperationListQuery) {
      const nextPageToken = query.pageToken === undefined ? undefined : decodePageToken(query.pageToken);
      const listing = await temporal('list', () =>
        client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query: operationListQuery(OPERATION_WORKFLOW_TYPE, query),
          pageSize: query.limit,
          nextPageToken,
        }),
      );
      return {
        operations: listing.executions.map(listedOperation),
        nextPageToken: listing.nextPageToken?.length ? encodePageToken(listing.nextPageToken) : null,
      };
    },

    /**
     * One page of runs. Under load every caller asks for the same few pages, and building one (100 rows
     * read and mapped) costs the API far more than PostgreSQL's index scan: callers asking for the same
     * page at the same time share one load. A finished page is never reused, so a page is never older
     * than the request.
     */
    async clusters(id: string, query: RunListQuery): Promise<RunPage> {
      await recordOf(id);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const key = JSON.stringify([id, query.state ?? null, query.wave ?? null, query.limit, after ?? null]);
      return pageCache.get(key, null, async () => {
        const page = await listRuns(db, id, { states: query.state, wave: query.wave }, { limit: query.limit, after });
        const last = page.runs.at(-1);
        return {
          version: null,
          value: { runs: page.runs, nextCursor: page.hasMore && last ? encodeCursor(last.clusterId) : null },
        };
      });
    },

    async events(id: string, query: EventListQuery) {
      await findOperationOrThrow(db, id);
      const afterId = query.cursor === undefined ? undefined : decodeNumericCursor(query.cursor);
      const events = await listAudit(db, { operationId: id }, { limit: query.limit + 1, afterId });
      const page = events.slice(0, query.limit);
      return { events: page, nextCursor: events.length > query.limit ? encodeCursor(String(page.at(-1)!.id)) : null };
    },
  };
}
