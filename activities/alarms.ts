// watchAlarms: evaluates an operation's alarms every interval, storing each result for status, and
// returns when the set of firing alarms changes (or once, or after an hour, so history stays small).
import { CancelledFailure, Context } from '@temporalio/activity';
import type { AlarmSources } from '../adapters/alarm-sources';
import { alarmStatuses, recordAlarmStatuses } from '../db/alarms';
import type { Db } from '../db/pool';
import { judgeAlarm, type AlarmSpec, type AlarmStatus } from '../domain/alarms';
import type { FiringAlarm } from '../domain/workflow-contracts';

/** Field names are recorded in workflow histories: add optional fields, never rename. */
export interface WatchAlarmsInput {
  operationId: string;
  alarms: AlarmSpec[];
  intervalSeconds: number;
  /** The alarms the workflow knows to be firing: the watch returns as soon as that changes. */
  firing: string[];
  /** Evaluate once and return (the check before a wave starts). */
  once?: boolean;
}

export interface WatchAlarmsOutput {
  firing: FiringAlarm[];
  checkedAt: string;
  evaluations: number;
}

/** A watch ends after this long even when nothing changed; the workflow starts the next one. */
const WATCH_MAX_MS = 60 * 60 * 1000;
const HEARTBEAT_EVERY_MS = 5000;

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export function createAlarmActivities(deps: { db: Db; alarmSources: AlarmSources }) {
  /** One evaluation of every alarm, concurrently; each source error counts toward its fail-safe limit. */
  async function evaluate(input: WatchAlarmsInput, signal: AbortSignal): Promise<AlarmStatus[]> {
    const previous = new Map((await alarmStatuses(deps.db, input.operationId)).map((s) => [s.name, s]));
    const statuses = await Promise.all(
      input.alarms.map(async (spec): Promise<AlarmStatus> => {
        const outcome = await deps.alarmSources.read(spec, signal).then(
          (reading) => ({ ok: true as const, reading }),
          (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
        );
        const verdict = judgeAlarm(spec, previous.get(spec.name)?.consecutiveErrors ?? 0, outcome);
        return { name: spec.name, ...verdict, checkedAt: new Date().toISOString() };
      }),
    );
    if (signal.aborted) throw new CancelledFailure('alarm watch cancelled');
    await recordAlarmStatuses(deps.db, input.operationId, statuses);
    return statuses;
  }

  return {
    async watchAlarms(input: WatchAlarmsInput): Promise<WatchAlarmsOutput> {
      const activity = Context.current();
      const stopAt = Date.now() + WATCH_MAX_MS;
      const intervalMs = input.intervalSeconds * 1000;
      // Heartbeats carry cancellation (the operation ended or continues as new) and prove the worker lives.
      const beat = setInterval(() => activity.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        for (let evaluations = 1; ; evaluations++) {
          const statuses = await evaluate(input, activity.cancellationSignal);
          const firing = statuses.filter((s) => s.firing).map((s) => ({ name: s.name, message: s.message }));
          const changed = !sameNames(
            firing.map((f) => f.name),
            input.firing,
          );
          if (changed) {
            activity.log.warn(firing.length > 0 ? 'alarm firing' : 'alarms no longer firing', {
              operationId: input.operationId,
              firing: firing.map((f) => `${f.name}: ${f.message}`),
            });
          }
          if (input.once || changed || Date.now() + intervalMs > stopAt) {
            return { firing, checkedAt: statuses[0]?.checkedAt ?? new Date().toISOString(), evaluations };
          }
          await activity.sleep(intervalMs);
        }
      } finally {
        clearInterval(beat);
      }
    },
  };
}
