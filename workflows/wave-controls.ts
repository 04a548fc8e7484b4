// The controls of a wave's run: what the parent relays from the operator (each only changes what starts
// next) and the pause a tripped fleet limit asks for.
import { getExternalWorkflowHandle, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LaneBudgetSpent } from '../domain/workflow-contracts';
import { markGuarded } from './guard-parking';
import {
  guardTrippedSignal,
  laneBudgetSpentSignal,
  waveBudgetSpentSignal,
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxFailuresSignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';
import { WaveHandOver } from './wave-hand-over';

export abstract class WaveControls extends WaveHandOver {
  /** The parent relays the operator's controls; each one only changes what starts next. */
  registerHandlers(): void {
    const progress = this.progress;
    setHandler(wavePauseSignal, () => void (progress.paused = true));
    setHandler(waveResumeSignal, () => void (progress.paused = false));
    setHandler(waveCancelSignal, () => void (progress.cancelled = true));
    setHandler(waveSetMaxParallelSignal, ({ maxParallel }) => void (progress.maxParallel = maxParallel));
    setHandler(waveSetMaxFailuresSignal, ({ maxFailures }) => this.setMaxFailures(maxFailures));
    setHandler(waveRetrySignal, (work) => this.enqueue(work));
    setHandler(waveSkipSignal, ({ clusterId }) => {
      progress.queue = progress.queue.filter((w) => w.clusterId !== clusterId);
      if (progress.parked) progress.parked = progress.parked.filter((p) => p.clusterId !== clusterId);
    });
    // A lane: another lane found the wave's failures over a budget.
    setHandler(waveBudgetSpentSignal, ({ budget }) => {
      if (budget === 'wave') progress.budgetExceeded = true;
      else progress.totalBudgetExceeded = true;
      log.warn('another lane spent the wave failure budget: no new cluster starts', {
        operationId: this.operationId,
        wave: this.wave,
        budget,
      });
    });
  }

  /** The failures the budgets count: the wave's over every lane for a lane (as last counted), else this run's. */
  protected get failedInWave(): number {
    return Math.max(this.progress.failed, this.progress.waveFailed ?? 0);
  }

  /** A lane whose count of the wave's failures spent a budget tells its wave, which tells the other lanes. */
  protected tellWave(budget: LaneBudgetSpent['budget'], failed: number): void {
    const { lane } = this.input;
    const parent = workflowInfo().parent;
    if (!lane || !parent) return;
    void getExternalWorkflowHandle(parent.workflowId)
      .signal(laneBudgetSpentSignal, { lane: lane.index, budget, failed })
      .catch((err: unknown) =>
        log.warn('could not tell the wave', { operationId: this.operationId, wave: this.wave, error: String(err) }),
      );
  }

  /** A live edit of the failure budget: a budget already spent by the failures counted stops the wave at once. */
  private setMaxFailures(maxFailures: number): void {
    const { progress } = this;
    progress.maxFailures = maxFailures;
    const failed = this.failedInWave;
    if (failed > maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget lowered below its failures: no new cluster starts', {
        operationId: this.operationId,
        wave: this.wave,
        failed,
        maxFailures,
      });
    }
  }

  /**
   * Pauses the wave at once (in-flight clusters finish, none starts) and asks the operation to pause with
   * `guard:<limit>`; the operation's resume resumes the wave. Already paused: nothing more to say.
   */
  protected guardTripped(limit: string, clusterId: string): void {
    const { operationId, wave, progress } = this;
    markGuarded();
    if (progress.paused || progress.cancelled) return;
    progress.paused = true;
    log.warn('fleet limit tripped: the wave pauses and its operation with it', { operationId, wave, clusterId, limit });
    void getExternalWorkflowHandle(operationId)
      .signal(guardTrippedSignal, { limit, wave, clusterId })
      .catch((err: unknown) =>
        log.warn('could not tell the operation', { operationId, wave, limit, error: String(err) }),
      );
  }
}
