// What Temporal visibility knows about operations: execution status names, the operation state they
// imply, the list query per state, page tokens, and one listed execution read as an operation.
import { createHash } from 'node:crypto';
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { ValidationFailed } from '../domain/errors';
import { FLEET_ACTION, FLEET_OPERATION_NAME, FLEET_STATE, FLEET_TARGET_VERSION } from '../domain/search-attributes';
import { FINAL_OPERATION_STATES, OPERATION_STATES, type OperationStateName } from '../domain/states';

// Values of temporal.api.enums.v1.WorkflowExecutionStatus, as a raw list call returns them.
const EXECUTION_STATUS = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
];
const executionStatusName = (code: number | null | undefined) => EXECUTION_STATUS[code ?? 0] ?? 'UNSPECIFIED';

const ENDED_AS: Record<string, OperationStateName> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'cancelled',
};

/**
 * The operation state when only Temporal's execution status and the FleetState search attribute are
 * known: a running workflow is what it last recorded; a workflow that returned may have recorded how
 * it ended (failed, cancelled); a terminated or timed-out one could not record anything.
 */
export function stateFromExecution(status: string, recorded: unknown): OperationStateName {
  const known = (OPERATION_STATES as readonly unknown[]).includes(recorded)
    ? (recorded as OperationStateName)
    : undefined;
  if (status === 'RUNNING') return known ?? 'running';
  if (status === 'COMPLETED' && known && FINAL_OPERATION_STATES.includes(known)) return known;
  return ENDED_AS[status] ?? known ?? 'running';
}

/** A visibility string literal; names are validated already, this keeps a quote from ever ending one. */
const visibilityLiteral = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const live = (state: string) => `ExecutionStatus = 'Running' AND FleetState = ${visibilityLiteral(state)}`;
/** The same rule as stateFromExecution, as a visibility query per state. */
const STATE_CLAUSES: Record<OperationStateName, string> = {
  planning: live('planning'),
  running: live('running'),
  awaiting_approval: live('awaiting_approval'),
  paused: live('paused'),
  completed: `ExecutionStatus = 'Completed' AND FleetState NOT IN ('failed', 'cancelled')`,
  failed: `(ExecutionStatus IN ('Failed', 'TimedOut') OR (ExecutionStatus = 'Completed' AND FleetState = 'failed'))`,
  cancelled: `(ExecutionStatus IN ('Canceled', 'Terminated') OR (ExecutionStatus = 'Completed' AND FleetState = 'cancelled'))`,
};

export function operationListQuery(
  workflowType: string,
  filter: { state?: OperationStateName; name?: string },
): string {
  // Each continue-as-new leaves a closed run behind: list only the live or final one.
  const clauses = [`WorkflowType = ${visibilityLiteral(workflowType)}`, `ExecutionStatus != 'ContinuedAsNew'`];
  if (filter.name) clauses.push(`FleetOperationName = ${visibilityLiteral(filter.name)}`);
  if (filter.state) clauses.push(STATE_CLAUSES[filter.state]);
  return clauses.join(' AND ');
}

// Temporal's page token plus a short checksum: the server retries a mangled token until the deadline
// (a 503), so a token we did not hand out must be refused here, as bad input.
const tokenTag = (token: Uint8Array) =>
  createHash('sha256').update('fleetwave-page:').update(token).digest().subarray(0, 6);

export const encodePageToken = (token: Uint8Array) => Buffer.concat([tokenTag(token), token]).toString('base64url');

export function decodePageToken(text: string): Buffer {
  const raw = Buffer.from(text, 'base64url');
  const token = raw.subarray(6);
  if (raw.length <= 6 || !tokenTag(token).equals(raw.subarray(0, 6))) {
    throw new ValidationFailed('the pageToken is not valid', [
      { path: 'pageToken', message: 'use nextPageToken from a previous page' },
    ]);
  }
  return token;
}

type ListedExecution = Awaited<ReturnType<Client['workflowService']['listWorkflowExecutions']>>['executions'][number];

/** One execution of a visibility list, read through the search attributes the workflow keeps current. */
export function listedOperation(execution: ListedExecution) {
  const fields = execution.searchAttributes?.indexedFields ?? {};
  const read = (name: string): unknown =>
    fields[name] ? defaultPayloadConverter.fromPayload(fields[name]) : undefined;
  const workflowStatus = executionStatusName(execution.status);
  return {
    id: execution.execution?.workflowId ?? '',
    name: read(FLEET_OPERATION_NAME.name) ?? null,
    state: stateFromExecution(workflowStatus, read(FLEET_STATE.name)),
    action: read(FLEET_ACTION.name) ?? null,
    targetVersion: read(FLEET_TARGET_VERSION.name) ?? null,
    workflowStatus,
    startedAt: optionalTsToDate(execution.startTime)?.toISOString() ?? null,
    closedAt: optionalTsToDate(execution.closeTime)?.toISOString() ?? null,
  };
}
