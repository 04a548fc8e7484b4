// The read side of /v1/operations: one operation's status (cached briefly), the visibility listing of
// operations, and the pages of its cluster runs and audit events.
import type { Client } from '@temporalio/client';
import { alarmStatuses } from '../../db/alarms';
import { listAudit } from '../../db/audit';
import * as repo from '../../db/operations';
import type { Db } from '../../db/pool';
import { inFlightRuns, listRuns, runCounts } from '../../db/runs';
import { NotFound } from '../../domain/errors';
import { OPERATION_WORKFLOW_TYPE } from '../../domain/ids';
import type { EventListQuery, OperationListQuery, RunListQuery } from '../../domain/operation-requests';
import { buildStatus } from '../../domain/operation-status';
import type { TemporalCall } from '../temporal-errors';
import { decodePageToken, encodePageToken, listedOperation, operationListQuery } from '../temporal-visibility';
import type { ReadLiveView } from './operation-live-view';
import { decodeCursor, decodeNumericCursor, encodeCursor } from './page-cursor';
import type { SingleFlight } from './single-flight';

export type OperationStatus = ReturnType<typeof buildStatus>;

/** The recorded operation, or 404: every /v1/operations/{id} route starts here. */
export async function findOperationOrThrow(db: Db, id: string): Promise<repo.OperationRecord> {
  const record = await repo.findOperation(db, id);
  if (!record) throw new NotFound('operation', id);
  return record;
}

export interface OperationStatusDeps {
  db: Db;
  client: Client;
  temporal: TemporalCall;
  liveView: ReadLiveView;
  /** Shared with the actions, which drop an operation's entry so its caller reads what it just did. */
  statusCache: SingleFlight<OperationStatus>;
}

export function createOperationStatus({ db, client, temporal, liveView, statusCache }: OperationStatusDeps) {
  return {
    async status(id: string) {
      return statusCache.get(id, async () => {
        const record = await findOperationOrThrow(db, id);
        const [live, counts, inFlight, alarms] = await Promise.all([
          liveView(record),
          runCounts(db, id),
          inFlightRuns(db, id),
          (record.request.alarms ?? []).length > 0 ? alarmStatuses(db, id) : [],
        ]);
        return buildStatus({ record, live, counts, inFlight, alarms, noWave: repo.NO_WAVE });
      });
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

    async clusters(id: string, query: RunListQuery) {
      await findOperationOrThrow(db, id);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const page = await listRuns(db, id, { states: query.state, wave: query.wave }, { limit: query.limit, after });
      const last = page.runs.at(-1);
      return { runs: page.runs, nextCursor: page.hasMore && last ? encodeCursor(last.clusterId) : null };
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
