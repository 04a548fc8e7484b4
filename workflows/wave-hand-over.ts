// Continue-as-new without a drain: when a wave's run hands over, each cluster in flight stops once its
// current step (select or apply) is done, and the next run takes it on from the step after, in its slot.
// No activity is abandoned (the run waits for the steps in flight), none is run twice, and the next run
// starts with clusters at every step, so finishes go on without the gap a full drain and restart left.
import type { HandedOverCluster } from '../domain/workflow-contracts';
import { WaveQueue } from './wave-queue';

/** Runs since this patch hand their clusters in flight over at continue-as-new; older histories drained them. */
export const HAND_OVER_PATCH = 'wave-hand-over';

export abstract class WaveHandOver extends WaveQueue {
  /** This run is about to continue as new: a cluster whose step ends is handed over instead of going on. */
  handingOver = false;

  /** Sets the cluster aside for the next run when this one is handing over; says whether it did. */
  protected handOver(cluster: HandedOverCluster): boolean {
    if (!this.handingOver) return false;
    (this.progress.handedOver ??= []).push(cluster);
    return true;
  }

  /** A cluster handed over is still in flight, though its next run has not taken it on yet. */
  protected override isQueued(clusterId: string): boolean {
    return super.isQueued(clusterId) || (this.progress.handedOver ?? []).some((c) => c.clusterId === clusterId);
  }
}
