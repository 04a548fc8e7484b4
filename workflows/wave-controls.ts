// The controls of a wave's run: what the parent relays from the operator (each only changes what starts
// next) and the pause a tripped fleet limit asks for.
import { getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { markGuarded } from './guard-parking';
import {
  guardTrippedSignal,
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
  }

  /** A live edit of the failure budget: a budget already spent by the failures counted stops the wave at once. */
  private setMaxFailures(maxFailures: number): void {
    const { progress } = this;
    progress.maxFailures = maxFailures;
    if (progress.failed > maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget lowered below its failures: no new cluster starts', {
        operationId: this.operationId,
        wave: this.wave,
        failed: progress.failed,
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
