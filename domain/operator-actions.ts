// The rules every operator action obeys, whichever way it arrives (REST, the Web UI's "Send Signal", the
// temporal CLI): pure, so the workflow enforces them itself and tests read them without a server.
import { FINAL_OPERATION_STATES } from './states';
import {
  OPERATOR_ACTIONS,
  type ActionOutcome,
  type OperationState,
  type OperatorActionInput,
  type OperatorActionName,
} from './workflow-contracts';

/** The longest identity a signal may name (the API's identities are far shorter). */
const MAX_BY_LENGTH = 200;
const MAX_COMMENT_LENGTH = 2000;

/** An action as the workflow reads it: every field checked for its type, whatever the sender typed. */
export interface ReadAction {
  action: OperatorActionName;
  by: string;
  via: 'api' | 'temporal';
  role: string;
  actionId?: string;
  requestId?: string;
  wave?: number;
  clusterId?: string;
  comment?: string;
}

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim().length > 0 ? value.trim().slice(0, max) : undefined;

/**
 * Reads a signal's or update's payload defensively: a payload typed by hand in the Web UI may be anything,
 * and a handler that threw would stop the workflow. Missing or malformed fields are left out; `check`
 * then names what is wrong.
 */
export function readAction(action: OperatorActionName, payload: unknown): ReadAction {
  const raw = (payload !== null && typeof payload === 'object' ? payload : {}) as Partial<OperatorActionInput>;
  const via = raw.via === 'api' ? 'api' : 'temporal';
  const wave = typeof raw.wave === 'number' && Number.isInteger(raw.wave) ? raw.wave : undefined;
  const read: ReadAction = {
    action,
    by: text(raw.by, MAX_BY_LENGTH) ?? '',
    via,
    // A signal sent through Temporal was allowed by Temporal's own access control, not by an API role.
    role: via === 'api' ? (text(raw.role, 50) ?? 'unknown') : 'temporal',
  };
  const actionId = text(raw.actionId, 100);
  const requestId = text(raw.requestId, 200);
  const clusterId = text(raw.clusterId, 200);
  const comment = text(raw.comment, MAX_COMMENT_LENGTH);
  return {
    ...read,
    ...(actionId ? { actionId } : {}),
    ...(requestId ? { requestId } : {}),
    ...(wave !== undefined ? { wave } : {}),
    ...(clusterId ? { clusterId } : {}),
    ...(comment ? { comment } : {}),
  };
}

export type Refusal = Required<Pick<ActionOutcome, 'reason' | 'message'>>;

const refuse = (reason: string, message: string): Refusal => ({ reason, message });

/** Why the action cannot be applied in the operation's current state, or null when it can. */
export function check(state: OperationState, read: ReadAction, allowSelfApproval: boolean): Refusal | null {
  const id = state.operationId;
  if (!OPERATOR_ACTIONS.includes(read.action))
    return refuse('unknown_action', `actions are ${OPERATOR_ACTIONS.join(', ')}; got '${String(read.action)}'`);
  if (!read.by)
    return refuse('by_required', `every action names who asks: send {"by": "<identity>"${payloadHint(read.action)}}`);
  if (FINAL_OPERATION_STATES.includes(state.state))
    return refuse('operation_finished', `operation '${id}' is ${state.state}: it takes no more actions`);
  switch (read.action) {
    case 'pause':
      if (state.cancelRequested) return cancelling(id);
      if (state.paused) return refuse('already_paused', `operation '${id}' is already paused (${state.pauseReason})`);
      return null;
    case 'resume': {
      if (state.cancelRequested) return cancelling(id);
      if (!state.paused)
        return refuse('not_paused', `only a paused operation can be resumed; '${id}' is ${state.state}`);
      const firing = state.alarmsFiring ?? [];
      if (firing.length > 0) {
        const named = firing.map((alarm) => `'${alarm.name}' (${alarm.message})`).join(', ');
        return refuse('alarm_firing', `operation '${id}' cannot resume while ${named} fires`);
      }
      return null;
    }
    case 'cancel':
      return state.cancelRequested ? cancelling(id) : null;
    case 'approve':
      return checkApproval(state, read, allowSelfApproval);
    case 'retry':
    case 'skip':
      if (!read.clusterId) return refuse('cluster_required', `a ${read.action} names the cluster: {"clusterId": "…"}`);
      return read.action === 'retry' && state.cancelRequested ? cancelling(id) : null;
  }
}

function checkApproval(state: OperationState, read: ReadAction, allowSelfApproval: boolean): Refusal | null {
  const id = state.operationId;
  if (read.wave === undefined)
    return refuse('wave_required', 'an approval names its wave: {"wave": <number>, "by": …}');
  if (read.by === state.startedBy && !allowSelfApproval) {
    return refuse(
      'self_approval_forbidden',
      `'${read.by}' started operation '${id}' and cannot approve its waves: another approver must (four-eyes)`,
    );
  }
  const pending = state.pendingApproval?.wave;
  if (pending !== read.wave) {
    return refuse(
      'not_awaiting_approval',
      `wave ${read.wave} of '${id}' is not awaiting approval (${pending ? `wave ${pending} is` : 'no wave is'}; the operation is ${state.state})`,
    );
  }
  return null;
}

const cancelling = (id: string) =>
  refuse('cancel_requested', `operation '${id}' is being cancelled: in-flight clusters finish, nothing else changes`);

function payloadHint(action: OperatorActionName): string {
  if (action === 'approve') return ', "wave": <number>';
  if (action === 'retry' || action === 'skip') return ', "clusterId": "…"';
  return '';
}

/** What an applied action did, in the words the REST answer and the audit row use. */
export function appliedMessage(read: ReadAction): string {
  switch (read.action) {
    case 'pause':
      return 'paused: in-flight clusters finish, none starts';
    case 'resume':
      return 'resumed';
    case 'cancel':
      return 'cancel requested: in-flight clusters finish, nothing new starts';
    case 'approve':
      return `wave ${read.wave} approved`;
    case 'retry':
      return `cluster '${read.clusterId}' queued to run again`;
    case 'skip':
      return `cluster '${read.clusterId}' skipped`;
  }
}
