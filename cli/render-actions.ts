// What the CLI says after an operator action or a plan edit, whichever answer shape the API gave.
import { statusSummary } from './render-operations';
import type { OperationStatus } from './types';

export interface ActionWords {
  /** The operation the action was sent to. */
  id: string;
  /** What was done, in the past: `paused`, `approved wave 2`, `retried cluster c-1`. */
  done: string;
  /** What an older server's bare 202 means: `pause requested for <id>`. */
  requested: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A body the status renderer can draw in full; a lighter 200 (only `state`) gets the one line. Its
 * `action` is not required: an action route's answer may carry the action's report there instead.
 */
export function isFullStatus(body: unknown): body is OperationStatus {
  return (
    isObject(body) &&
    typeof body.id === 'string' &&
    typeof body.state === 'string' &&
    isObject(body.counts) &&
    Array.isArray(body.waves) &&
    Array.isArray(body.inFlight)
  );
}

/**
 * 200 with the status: `paused: <id> is paused`, then the status. 202 delivered (no worker answered in
 * time): the API's message, since the action is applied or refused only when a worker runs.
 * Anything else (an older server's `{ id, accepted }`): that the action was requested.
 */
export function actionText(words: ActionWords, answer: unknown): string {
  if (!isObject(answer)) return words.requested;
  if (answer.outcome === 'delivered' || (typeof answer.message === 'string' && typeof answer.state !== 'string')) {
    const said =
      typeof answer.message === 'string' && answer.message !== ''
        ? answer.message
        : `${words.requested}: delivered, applied or refused once a worker runs`;
    return `${said}\nwhat the workflow decided shows in: fleetwave operations events ${words.id}`;
  }
  if (typeof answer.state === 'string') {
    const id = typeof answer.id === 'string' ? answer.id : words.id;
    const line = `${words.done}: ${id} is ${answer.state}`;
    return isFullStatus(answer) ? `${line}\n\n${statusSummary(answer)}` : line;
  }
  return words.requested;
}
