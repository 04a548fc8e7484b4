// What the workflow says about one operation: the snapshot it last wrote to PostgreSQL (checked against
// Temporal's execution status, in case the workflow was ended from outside); for an operation without one,
// the workflow's status query when a worker answers, else describe (execution status and the FleetState
// search attribute), else what PostgreSQL recorded.
import type { Client } from '@temporalio/client';
import type { OperationRecord } from '../../db/operations';
import { DependencyUnavailable, NotFound } from '../../domain/errors';
import type { LiveView, StatusSnapshot } from '../../domain/operation-status';
import { FLEET_STATE } from '../../domain/search-attributes';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import { statusQuery } from '../../workflows/messages';
import { isTemporalUnavailable, rethrowIfTemporalDown, type TemporalCall } from '../temporal-errors';
import { stateFromExecution } from '../temporal-visibility';

export interface LiveViewDeps {
  client: Client;
  temporal: TemporalCall;
  /** How long a status query waits for a worker before we fall back to describe. */
  queryTimeoutMs: number;
}

export type ReadLiveView = (record: OperationRecord, withQuery?: boolean) => Promise<LiveView>;

export function createLiveView({ client, temporal, queryTimeoutMs }: LiveViewDeps): ReadLiveView {
  return async function liveView(record, withQuery = true) {
    const handle = client.workflow.getHandle(record.id);
    /** Temporal's execution status, and the operation state it implies with the FleetState last recorded. */
    const describeExecution = async () => {
      const described = await temporal(record.id, () => handle.describe());
      const status = described.status.name;
      return { status, state: stateFromExecution(status, described.typedSearchAttributes.get(FLEET_STATE)) };
    };
    if (withQuery && record.workflowStartedAt !== null) {
      try {
        const op = await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(statusQuery));
        if (FINAL_OPERATION_STATES.includes(op.state))
          return { source: 'query', state: op.state, op, workflowStatus: null, note: null };
        // A closed workflow still answers queries with its last state: one terminated mid-run would
        // look running forever. Ask Temporal whether it still runs.
        const { status, state } = await describeExecution();
        if (status === 'RUNNING') return { source: 'query', state: op.state, op, workflowStatus: null, note: null };
        return {
          source: 'query',
          state,
          op: { ...op, state },
          workflowStatus: status,
          note: `the workflow has ended (${status})`,
        };
      } catch (err) {
        rethrowIfTemporalDown(err);
        // Anything else (no worker polling, a closed workflow without a worker): describe says what it can.
      }
    }
    try {
      const { status, state } = await describeExecution();
      const note =
        status === 'RUNNING'
          ? 'no worker answered the status query in time: state is the last one the workflow recorded; counts are exact'
          : `the workflow has ended (${status}); counts are exact`;
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
  };
}

export type ReadSnapshotView = (record: OperationRecord, snapshot: StatusSnapshot) => Promise<LiveView>;

/**
 * The live view from the workflow's snapshot. A snapshot that is not final is checked with one describe (a
 * call to Temporal's frontend, no worker involved): a workflow terminated from outside never wrote its end.
 * When Temporal cannot be asked, the snapshot stands, and the note says so.
 */
export function createSnapshotView({ client, temporal }: Pick<LiveViewDeps, 'client' | 'temporal'>): ReadSnapshotView {
  return async function snapshotView(record, snapshot) {
    const live: LiveView = {
      source: 'snapshot',
      state: snapshot.state,
      op: snapshot,
      workflowStatus: null,
      note: null,
    };
    if (FINAL_OPERATION_STATES.includes(snapshot.state)) return live;
    try {
      const described = await temporal(record.id, () => client.workflow.getHandle(record.id).describe());
      const status = described.status.name;
      if (status === 'RUNNING') return live;
      const state = stateFromExecution(status, described.typedSearchAttributes.get(FLEET_STATE));
      return {
        ...live,
        state,
        op: { ...snapshot, state },
        workflowStatus: status,
        note: `the workflow has ended (${status})`,
      };
    } catch (err) {
      if (err instanceof NotFound) {
        return { ...live, note: 'Temporal no longer keeps this workflow (retention): state is the last one it wrote' };
      }
      if (!(err instanceof DependencyUnavailable) && !isTemporalUnavailable(err)) throw err;
      return { ...live, note: 'Temporal did not answer: state is the last one the workflow wrote; counts are exact' };
    }
  };
}
