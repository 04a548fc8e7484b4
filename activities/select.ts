// selectCluster: re-checks eligibility against the live inventory and the operation's deadline, parks a
// cluster outside its maintenance window (before any lease), held by another operation or held back by the
// fleet guard (a freeze, a full or tripped limit), takes the lease, reads the cluster's real state through
// its adapter (drift, already at target).
import { Context } from '@temporalio/activity';
import { adapterFor } from '../adapters';
import { ClusterNotFound } from '../adapters/errors';
import type { AdapterRegistry } from '../adapters/types';
import { recordAudit } from '../db/audit';
import type { Cluster } from '../domain/cluster';
import { withAdapterContext } from './context';
import { stepDeadline, underDeadline } from './deadline';
import { matchesSelector, type Selector } from '../domain/selector';
import { isBelow } from '../domain/semver';
import { deadlineMs, missesDeadline, windowOpensAt } from '../domain/maintenance';
import { getClusterWithRun, setClusterVersion } from '../db/clusters';
import { targetVersionOf } from '../domain/operation';
import type { ClusterAttemptInput } from './cluster-attempt';
import type { LeasedClusters } from './leased-clusters';
import { acquireGuardedLease, type GuardHold } from '../db/leases';
import { freezeGuard } from '../domain/guard';
import { findOperationSelector } from '../db/operations';
import type { Db } from '../db/pool';
import { claimRun, finishRun, parkRun, updateRun, type Parking } from '../db/runs';
import { MOVED_AWAY } from '../domain/plan-edits';

/** The lease holder closed so recently that its in-flight apply may still run: try again shortly. */
export class LeaseHolderDraining extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseHolderDraining';
  }
}

export type HolderState = 'running' | 'draining' | 'gone';

/** What the operation says about waiting; absent in histories from before parking (skip, no deadline). */
export interface SelectInput extends ClusterAttemptInput {
  onLeased?: 'wait' | 'skip';
  /** ISO time after which no cluster starts. */
  deadline?: string;
}

/**
 * Set the cluster aside, holding no slot and no lease: until its window opens, while another operation
 * holds it, or while the fleet guard holds it back (`guard`: a limit's name or `freeze:<name>`; `untilMs`:
 * when a freeze ends; `tripped`: the limit's hourly failures are over it, so the operation pauses).
 */
export type ParkRequest =
  | { kind: 'window'; untilMs: number; opensAt: string }
  | { kind: 'lease'; heldBy: string }
  | { kind: 'guard'; guard: string; untilMs?: number; tripped?: boolean };

export type SelectResult =
  | {
      proceed: true;
      fromVersion: string;
      /** Only in histories recorded before parking: how long the wave waited for the window, in the slot. */
      windowWaitMs?: number;
    }
  | { proceed: false; reason: string; park?: undefined }
  | { proceed: false; park: ParkRequest };

/** Who the audit log names for what the engine itself found, such as drift. */
const ENGINE_ACTOR = { identity: 'fleetwave', role: 'system' } as const;

export interface SelectDeps {
  db: Db;
  adapters: AdapterRegistry;
  leased: LeasedClusters;
  /**
   * Whether the workflow that owns a lease still acts: running (leave it), draining (closed so
   * recently its last activity may still run: wait) or gone (stale: take it over).
   */
  holderState(workflowId: string): Promise<HolderState>;
  now?: () => Date;
}

export function createSelectActivities(deps: SelectDeps) {
  const selectors = new Map<string, Selector | null>();

  async function operationSelector(operationId: string): Promise<Selector | null> {
    if (!selectors.has(operationId)) {
      const selector = await findOperationSelector(deps.db, operationId);
      // Operations are immutable once started, so the selector can be cached for the worker's life.
      if (selectors.size > 1000) selectors.clear();
      selectors.set(operationId, selector);
    }
    return selectors.get(operationId)!;
  }

  /** Records the skip; a cluster this operation already leased is released with it. */
  async function skip(input: ClusterAttemptInput, reason: string, { leased = false } = {}): Promise<SelectResult> {
    Context.current().log.info('cluster skipped', {
      operationId: input.operationId,
      clusterId: input.clusterId,
      wave: input.wave,
      reason,
    });
    if (leased) await finishRun(deps.db, { ...input, state: 'skipped', reason });
    else await updateRun(deps.db, { ...input, state: 'skipped', reason, final: true });
    return { proceed: false, reason };
  }

  /** Records the parked run (releasing any lease this operation held on it) and tells the wave what it waits for. */
  async function park(input: SelectInput, parking: Parking, hold?: GuardHold): Promise<SelectResult> {
    Context.current().log.info('cluster parked', {
      operationId: input.operationId,
      clusterId: input.clusterId,
      wave: input.wave,
      state: parking.state,
      ...(parking.state === 'waiting_window'
        ? { windowOpensAt: parking.windowOpensAt.toISOString() }
        : parking.state === 'waiting_lease'
          ? { heldBy: parking.heldBy }
          : { guard: parking.guard }),
    });
    await parkRun(deps.db, input, parking);
    if (parking.state === 'waiting_lease') return { proceed: false, park: { kind: 'lease', heldBy: parking.heldBy } };
    if (parking.state === 'waiting_guard') return { proceed: false, park: guardPark(parking.guard, hold) };
    const opensAt = parking.windowOpensAt;
    return { proceed: false, park: { kind: 'window', untilMs: opensAt.getTime(), opensAt: opensAt.toISOString() } };
  }

  /**
   * What the cluster really runs, read through its adapter under the step's deadline; a reported version
   * that differs from the inventory replaces it, audited as `cluster.drift`.
   */
  async function observe(input: ClusterAttemptInput, cluster: Cluster): Promise<Cluster> {
    const deadline = stepDeadline("reading the cluster's state", input);
    // Heartbeats while a slow control plane answers, so the select step notices a lost worker quickly.
    const described = await underDeadline(deps.db, deadline, input, () =>
      withAdapterContext(async () => {
        const answer = await adapterFor(deps.adapters, cluster).describe({ cluster });
        if (!answer.exists) throw new ClusterNotFound(`the control plane does not know cluster '${cluster.id}'`);
        return answer;
      }),
    );
    const reported = described.version;
    if (reported === null || reported === cluster.version) return cluster;
    Context.current().log.warn('cluster drifted from the inventory: taking the version it reports', {
      operationId: input.operationId,
      clusterId: input.clusterId,
      wave: input.wave,
      inventory: cluster.version,
      reported,
    });
    await setClusterVersion(deps.db, cluster.id, reported);
    await recordAudit(deps.db, {
      ...ENGINE_ACTOR,
      action: 'cluster.drift',
      targetType: 'cluster',
      targetId: cluster.id,
      operationId: input.operationId,
      payload: { inventory: cluster.version, reported },
    });
    return { ...cluster, version: reported };
  }

  return {
    async selectCluster(input: SelectInput): Promise<SelectResult> {
      // An operator may have skipped it between the wave queueing it and now.
      const { cluster: listed, run } = await getClusterWithRun(deps.db, input.clusterId, input.operationId);
      if (run?.state === 'skipped' && run.reason?.startsWith('skipped_by:'))
        return { proceed: false, reason: run.reason };
      // Moved to a later wave before its turn (a live plan edit): this wave leaves it to that one.
      if (!(await claimRun(deps.db, input))) return { proceed: false, reason: MOVED_AWAY };
      if (!listed) return skip(input, 'no_longer_matches');
      const selector = await operationSelector(input.operationId);
      if (selector && !matchesSelector(listed, selector)) return skip(input, 'no_longer_matches');
      const now = (deps.now ?? (() => new Date()))();
      const deadline = deadlineMs(input.deadline);
      if (missesDeadline(now.getTime(), deadline)) return skip(input, 'window_missed');
      // Before the lease: a cluster waiting for its window holds none, so another operation may use it meanwhile.
      const opensAt = windowOpensAt(listed.maintenanceWindows, now);
      if (opensAt) {
        if (missesDeadline(opensAt.getTime(), deadline)) return skip(input, 'window_missed');
        return park(input, { state: 'waiting_window', windowOpensAt: opensAt });
      }
      const lease = await acquireGuardedLease(
        deps.db,
        { clusterId: input.clusterId, operationId: input.operationId, workflowId: input.operationId },
        async (holder) => {
          const state = await deps.holderState(holder.workflowId);
          if (state === 'draining') {
            // Retryable: the activity is retried with backoff until the holder's grace period is over.
            throw new LeaseHolderDraining(
              `cluster '${input.clusterId}' is leased by '${holder.operationId}', which ended moments ago; waiting for its last activity`,
            );
          }
          const stale = state === 'gone';
          if (stale) {
            Context.current().log.info('lease holder no longer runs: taking its lease over', {
              operationId: input.operationId,
              clusterId: input.clusterId,
              wave: input.wave,
              previousOperationId: holder.operationId,
              heldSince: holder.acquiredAt,
            });
          }
          return stale;
        },
      );
      if (!lease.acquired && 'guard' in lease) {
        const hold = lease.guard;
        return park(
          input,
          { state: 'waiting_guard', guard: hold.kind === 'freeze' ? freezeGuard(hold.name) : hold.limit },
          hold,
        );
      }
      if (!lease.acquired) {
        const heldBy = lease.holder.operationId;
        // Older histories name no onLeased: they skip, as they did then.
        if (input.onLeased === 'wait') return park(input, { state: 'waiting_lease', heldBy });
        return skip(input, `leased_by:${heldBy}`);
      }
      // Asked only under the lease, so no other operation is changing the cluster while it is read.
      const cluster = await observe(input, listed);
      if (input.action.type === 'upgrade' && !isBelow(cluster.version, input.action.targetVersion)) {
        return skip(input, 'already_at_target', { leased: true });
      }
      deps.leased.remember(input.operationId, cluster);
      await updateRun(deps.db, {
        ...input,
        state: 'pending',
        fromVersion: cluster.version,
        toVersion: targetVersionOf(input.action) ?? cluster.version,
        start: true,
      });
      return { proceed: true, fromVersion: cluster.version };
    },
  };
}

/** What the wave is told of a guard hold: a freeze's end is when to look again; a tripped limit pauses. */
function guardPark(guard: string, hold: GuardHold | undefined): ParkRequest {
  if (hold?.kind === 'freeze') return { kind: 'guard', guard, untilMs: Date.parse(hold.until) };
  if (hold?.kind === 'tripped') return { kind: 'guard', guard, tripped: true };
  return { kind: 'guard', guard };
}
