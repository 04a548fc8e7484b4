// The wave child's contracts: its input, what continue-as-new carries, its lanes and its result.
import type { Action, MonitorSpec } from './operation';
import type { ClusterWork, WaveSummary } from './workflow-contracts';

export interface WaveInput {
  operationId: string;
  wave: WaveSummary;
  action: Action;
  monitor: MonitorSpec;
  /** How long each adapter step of a cluster may take, retries included (absent in older histories: the default). */
  applyTimeoutSeconds?: number;
  rollbackOnFailure: boolean;
  maxParallel: number;
  maxFailures: number;
  /** Failures the operation may still take before its total budget is spent; null = no total budget. */
  totalFailuresLeft: number | null;
  paused: boolean;
  /** When set, the wave runs these clusters instead of its plan (a rerun after a budget stop, or for late retries). */
  onlyClusters?: ClusterWork[];
  /**
   * With onlyClusters, after a budget stop: the last cluster id the stopped wave had loaded. The rerun
   * takes onlyClusters, then pages on through its plan after this id (absent: onlyClusters is all).
   */
  resumeAfter?: string;
  /** Retried clusters the parent hands over; the wave runs them too. */
  retries?: ClusterWork[];
  /** The two fields above as histories recorded before their rename call them: read, never written. */
  work?: ClusterWork[];
  extra?: ClusterWork[];
  skip: string[];
  /** Absent in older histories: skip (today's behaviour), no deadline, the default check interval. */
  onLeased?: 'wait' | 'skip';
  deadline?: string;
  leaseCheckSeconds?: number;
  /** How often a cluster the fleet guard holds looks again (absent: the default). */
  guardCheckSeconds?: number;
  /**
   * How many lanes carry the wave (absent or 1: one). A wave that pages its whole plan with more than one
   * runs as a coordinator of that many lane workflows, each paging its own share of the plan with its share
   * of maxParallel and continuing as new on its own, so one lane's continue-as-new never stops the others.
   */
  lanes?: number;
  /** This run is one lane of a wave: it pages only the clusters of lane `index` of `count`. */
  lane?: WaveLane;
  carried?: WaveProgress;
}

export interface WaveLane {
  index: number;
  count: number;
}

/** From a lane to its wave: the wave's failures (counted over all its lanes) spent a budget. */
export interface LaneBudgetSpent {
  lane: number;
  budget: 'wave' | 'total';
  failed: number;
}

/**
 * A wave's progress: what it still has to do, its tallies and its controls; continue-as-new carries it.
 * Bounded whatever the wave's size: the queue holds at most a page or two of its plan (the rest stays in
 * PostgreSQL, read after `cursor`), plus retries and parked clusters.
 */
export interface WaveProgress {
  queue: ClusterWork[];
  /**
   * Where paging through the wave's plan stands: the last cluster id loaded ('' before the first page)
   * and whether the last page has been read. Absent in histories recorded before paging (their queue
   * holds the whole plan) and in reruns of named clusters only.
   */
  cursor?: WaveCursor;
  succeeded: number;
  failed: number;
  skipped: number;
  paused: boolean;
  cancelled: boolean;
  maxParallel: number;
  /** The failure budget as a live plan edit changed it while the wave runs (absent: the input's). */
  maxFailures?: number;
  budgetExceeded: boolean;
  totalBudgetExceeded: boolean;
  /**
   * A lane's last count of its wave's failures over every lane, as its run records say (absent: not a lane,
   * or none counted yet): the budgets are spent by the wave's failures, not the lane's alone.
   */
  waveFailed?: number;
  /** Clusters waiting for their window, another operation's lease or the guard: no slot, no lease (absent: none). */
  parked?: ParkedCluster[];
  /**
   * Clusters in flight when the run continued as new, each stopped between two of its steps: the next run
   * takes them on from there, in their slots (absent: none, and in histories recorded before the hand-over).
   */
  handedOver?: HandedOverCluster[];
}

/** A cluster a run handed to the next one: selected (next: apply) or applied (next: monitor). */
export interface HandedOverCluster extends ClusterWork {
  next: 'apply' | 'monitor';
  /** The version select found: what a rollback goes back to if apply or monitor fails. */
  fromVersion: string;
}

export interface WaveCursor {
  after: string;
  done: boolean;
}

/** A cluster set aside until `untilMs` (epoch ms): then it is queued again and selected afresh. */
export interface ParkedCluster extends ClusterWork {
  kind: 'window' | 'lease' | 'guard';
  untilMs: number;
  /** The operation holding the lease (kind lease). */
  heldBy?: string;
  /** What the fleet guard holds it by (kind guard): a limit's name or `freeze:<name>`. */
  guard?: string;
}

export interface WaveResult {
  outcome: 'completed' | 'budget_exceeded' | 'total_budget_exceeded' | 'cancelled';
  succeeded: number;
  failed: number;
  skipped: number;
  /** What never started that the wave held: bounded (a page or two, parked clusters, retries). */
  notStarted: ClusterWork[];
  /** A stopped wave whose plan was not read to its end: the last cluster id it loaded (see WaveInput). */
  resumeAfter?: string;
}
