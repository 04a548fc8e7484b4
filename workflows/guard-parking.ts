// The fleet guard as a wave meets it: how long a cluster the guard holds back stays parked, and the patch
// that marks the histories in which it happened.
import { patched } from '@temporalio/workflow';
import { DEFAULT_GUARD_CHECK_SECONDS } from '../domain/guard';
import type { ClusterWork, ParkedCluster } from '../domain/workflow-contracts';

/**
 * Since this patch select may answer that the fleet guard holds a cluster back (a freeze, a full limit, a
 * tripped one), and a failure may answer that it tripped a limit: the wave parks the cluster, or pauses and
 * tells its operation. Histories recorded before the guard never take these paths; the marker says which do.
 */
export const FLEET_GUARD_PATCH = 'fleet-guard';

export function markGuarded(): void {
  patched(FLEET_GUARD_PATCH);
}

/**
 * A cluster held back by the guard looks again after guardCheckSeconds (a limit may have room by then, a
 * freeze may have been deleted), or when its freeze ends if sooner, and never after the deadline.
 */
export function guardParking(
  work: ClusterWork,
  request: { guard: string; untilMs?: number },
  guardCheckSeconds: number | undefined,
  deadline: number | null,
): ParkedCluster {
  const checkMs = (guardCheckSeconds ?? DEFAULT_GUARD_CHECK_SECONDS) * 1000;
  const untilMs = Math.min(Date.now() + checkMs, request.untilMs ?? Infinity, deadline ?? Infinity);
  return { clusterId: work.clusterId, attempt: work.attempt, kind: 'guard', untilMs, guard: request.guard };
}
