// The operation's alarms, kept evaluated while it runs: a background watch (one long activity at a time,
// answering only when the set of firing alarms changes, so history stays small) and a fresh check before
// each wave starts. A firing alarm pauses the operation through OperationRun.
import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import { DEFAULT_ALARM_INTERVAL_SECONDS } from '../domain/alarms';
import type { OperationInput } from '../domain/workflow-contracts';
import { ALARM_WATCH_OPTIONS, alarmCalls, withSummary } from './activity-options';
import type { OperationRun } from './operation';

export class AlarmWatch {
  private scope: CancellationScope | undefined;
  private watching: Promise<void> | undefined;

  constructor(
    private readonly run: OperationRun,
    private readonly input: OperationInput,
  ) {}

  get enabled(): boolean {
    return (this.input.alarms?.length ?? 0) > 0;
  }

  private async evaluate(once: boolean, summary: string): Promise<void> {
    const alarms = this.input.alarms ?? [];
    const result = await alarmCalls.watchAlarms.executeWithOptions(withSummary(ALARM_WATCH_OPTIONS, summary), [
      {
        operationId: this.run.operationId,
        alarms,
        intervalSeconds: this.input.alarmIntervalSeconds ?? DEFAULT_ALARM_INTERVAL_SECONDS,
        firing: this.run.alarmsFiring().map((alarm) => alarm.name),
        ...(once ? { once } : {}),
      },
    ]);
    this.run.alarmsEvaluated(result.firing);
  }

  /** Starts the background watch; it runs until stop(). */
  start(): void {
    if (!this.enabled || this.scope) return;
    const scope = new CancellationScope();
    this.scope = scope;
    this.watching = scope.run(async () => {
      try {
        const count = this.input.alarms!.length;
        for (;;) await this.evaluate(false, `watch ${count} alarm${count === 1 ? '' : 's'}`);
      } catch (err) {
        if (!isCancellation(err)) throw err;
      }
    });
  }

  /** Ends the background watch (before the operation closes or continues as new). */
  async stop(): Promise<void> {
    if (!this.scope) return;
    this.scope.cancel();
    await this.watching;
    this.scope = undefined;
    this.watching = undefined;
  }

  /** Evaluates the alarms now, before wave `wave` starts; a firing one pauses the operation. */
  async checkBeforeWave(wave: number): Promise<void> {
    if (!this.enabled) return;
    await this.evaluate(true, `check alarms before wave ${wave}`);
    if (this.run.state.paused) {
      log.warn('wave held: an alarm fires', {
        operationId: this.run.operationId,
        wave,
        firing: this.run.alarmsFiring().map((a) => a.name),
      });
    }
  }
}
