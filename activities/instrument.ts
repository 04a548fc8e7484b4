// Measures every activity call: how long it took, how it ended and, on failure, the failure type,
// reported to an observer (worker/metrics.ts turns that into Prometheus series).
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { findOperationActionType } from '../db/operations';
import type { Db } from '../db/pool';

export type ActivityOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface ActivityCall {
  activity: string;
  /** The operation's action type (upgrade, restart, config), `unknown` when it cannot be told. */
  action: string;
  outcome: ActivityOutcome;
  seconds: number;
  /** The failure type on `failed`: the ApplicationFailure type or the error's name. */
  errorType?: string;
}

export interface ActivityObserver {
  finished(call: ActivityCall): void;
}

type AnyActivity = (input: never) => Promise<unknown>;

interface CallInput {
  operationId?: unknown;
  action?: { type?: unknown };
}

function failureType(err: unknown): string {
  const type = err instanceof ApplicationFailure && err.type ? err.type : err instanceof Error ? err.name : typeof err;
  return type.slice(0, 64);
}

/**
 * Wraps each activity; the observer sees every call once it ends. Inputs without the action
 * (monitorCluster's) take it from an earlier call for the same operation, or from the operations
 * table, once per operation — after the call, so the activity itself is never slowed down.
 */
export function instrumentActivities<T extends Record<string, AnyActivity>>(
  activities: T,
  deps: { observer: ActivityObserver; db?: Db },
): T {
  const actions = new Map<string, string>();

  async function actionOf(input: CallInput | undefined): Promise<string> {
    const operationId = typeof input?.operationId === 'string' ? input.operationId : undefined;
    const given = typeof input?.action?.type === 'string' ? input.action.type : undefined;
    if (actions.size > 1000) actions.clear();
    if (operationId && given) actions.set(operationId, given);
    if (given) return given;
    if (!operationId) return 'unknown';
    let known = actions.get(operationId);
    if (known === undefined && deps.db) {
      known = await findOperationActionType(deps.db, operationId).catch(() => undefined);
      if (known) actions.set(operationId, known);
    }
    return known ?? 'unknown';
  }

  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (input: never) => {
      const started = performance.now();
      let outcome: ActivityOutcome = 'succeeded';
      let errorType: string | undefined;
      try {
        return await fn(input);
      } catch (err) {
        if (err instanceof CancelledFailure) outcome = 'cancelled';
        else {
          outcome = 'failed';
          errorType = failureType(err);
        }
        throw err;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        // Metrics must never fail an activity, nor delay its answer to the workflow.
        void actionOf(input as CallInput | undefined)
          .then((action) => deps.observer.finished({ activity: name, action, outcome, seconds, errorType }))
          .catch(() => undefined);
      }
    };
  }
  return wrapped as T;
}
