// The state names of runs, waves and operations, shared by the workflows, the database and the API.

export const RUN_STATES = [
  'pending',
  'waiting_window',
  'waiting_lease',
  'waiting_guard',
  'applying',
  'monitoring',
  'succeeded',
  'failed',
  'rolled_back',
  'skipped',
] as const;
export type RunState = (typeof RUN_STATES)[number];
/** States in which a cluster is being worked on right now, holding a slot. */
export const IN_FLIGHT_RUN_STATES: readonly RunState[] = ['applying', 'monitoring'];
/** Parked: waiting for a maintenance window, another operation's lease or the fleet guard, holding no slot and no lease. */
export const PARKED_RUN_STATES: readonly RunState[] = ['waiting_window', 'waiting_lease', 'waiting_guard'];
export const FINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'rolled_back', 'skipped'];

export const OPERATION_STATES = [
  'planning',
  'running',
  'awaiting_approval',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export type OperationStateName = (typeof OPERATION_STATES)[number];
export const FINAL_OPERATION_STATES: readonly OperationStateName[] = ['completed', 'failed', 'cancelled'];

export type WaveStateName =
  | 'pending'
  | 'awaiting_approval'
  | 'running'
  | 'paused'
  | 'baking'
  | 'completed'
  | 'stopped'
  | 'failed'
  | 'cancelled'
  | 'empty';

/** Why an operation is paused; `alarm:<name>` when one of its alarms fired, `guard:<limit>` when a fleet limit tripped. */
export type PauseReason =
  'operator' | 'failure_budget_exceeded' | 'total_failure_budget_exceeded' | `alarm:${string}` | `guard:${string}`;
