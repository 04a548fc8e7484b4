// The queue side of a wave: which clusters wait to start, the page of the plan read from PostgreSQL
// and the cursor after it, the clusters parked until their window opens or a lease or the fleet guard is
// looked at again, and when the run's history is full enough to continue as new. The per-cluster flow
// builds on it.
import { log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { deadlineMs, missesDeadline } from '../domain/maintenance';
import { DEFAULT_LEASE_CHECK_SECONDS } from '../domain/operation';
import type { ClusterWork, ParkedCluster, WaveCursor, WaveInput, WaveProgress } from '../domain/workflow-contracts';
import type { ParkRequest } from '../activities/select';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import { guardParking, markGuarded } from './guard-parking';

export type ClusterOutcome = 'succeeded' | 'failed' | 'rolled_back' | 'skipped';

/** Waves since this patch page their plan from PostgreSQL; older histories loaded it whole. */
export const PAGE_WAVE_CLUSTERS_PATCH = 'page-wave-clusters';
/** A page holds twice the wave's parallelism, within these bounds (few round trips, small payloads). */
const PAGE_MIN = 100;
const PAGE_MAX = 1000;
/**
 * A paging wave continues as new once its history, plus what the clusters in flight may still add while
 * they finish, would pass this many events: every run stays under 10,000 whatever the server suggests.
 */
const HISTORY_EVENTS_BOUND = 9000;
/** Events one cluster in flight may still add: select, apply, monitor (three each) and its workflow tasks. */
const EVENTS_PER_CLUSTER = 12;
/**
 * What is kept free for the clusters in flight is capped: at a maxParallel in the high hundreds their drain
 * alone passes 10,000 events, and a run must still start more than one batch.
 */
const DRAIN_RESERVE_MAX = HISTORY_EVENTS_BOUND / 2;

/** How many cluster ids to ask for at once, for a wave running `maxParallel` at a time. */
export function pageSize(maxParallel: number): number {
  return Math.min(PAGE_MAX, Math.max(PAGE_MIN, 2 * maxParallel));
}

/** A wave's progress (carried across continue-as-new), the clusters in flight, its queue, pages and parked clusters. */
export abstract class WaveQueue {
  readonly progress: WaveProgress;
  readonly inFlight = new Set<string>();
  protected readonly operationId: string;
  protected readonly wave: number;
  /** Epoch ms after which no cluster starts (the operation's deadline); null: none. */
  protected readonly deadline: number | null;
  /** When the timers that wake the wave for its parked clusters fire. */
  private readonly timersAt = new Set<number>();
  /** A page of the plan is being read. */
  loading = false;

  constructor(protected readonly input: WaveInput) {
    this.operationId = input.operationId;
    this.wave = input.wave.number;
    this.deadline = deadlineMs(input.deadline);
    this.progress = input.carried ?? {
      queue: [],
      succeeded: 0,
      failed: 0,
      skipped: 0,
      paused: input.paused,
      cancelled: false,
      maxParallel: input.maxParallel,
      budgetExceeded: false,
      totalBudgetExceeded: false,
    };
  }

  /** Parked clusters (absent from progress carried by older histories, and until one is parked). */
  get parked(): readonly ParkedCluster[] {
    return this.progress.parked ?? [];
  }

  protected isQueued(clusterId: string): boolean {
    return (
      this.inFlight.has(clusterId) ||
      this.progress.queue.some((w) => w.clusterId === clusterId) ||
      this.parked.some((p) => p.clusterId === clusterId)
    );
  }

  protected enqueue(work: ClusterWork): void {
    // A retry wins over the same cluster queued at an earlier attempt (read again from a page, say).
    const queued = this.progress.queue.find((w) => w.clusterId === work.clusterId);
    if (queued) queued.attempt = Math.max(queued.attempt, work.attempt);
    else if (!this.isQueued(work.clusterId)) this.progress.queue.push(work);
  }

  /** Where paging stands; undefined when the wave does not page (older histories, named clusters only). */
  get cursor(): WaveCursor | undefined {
    return this.progress.cursor;
  }

  /** The queue runs low and the plan has more: time to read the next page. */
  get needsPage(): boolean {
    const { cursor } = this;
    return (
      cursor !== undefined &&
      !cursor.done &&
      !this.loading &&
      !this.stopped &&
      this.progress.queue.length < this.progress.maxParallel
    );
  }

  /** Reads the next page in the background: clusters keep starting from what is queued meanwhile. */
  refill(): void {
    if (this.needsPage) void this.loadPage();
  }

  /**
   * The next page of the plan after the cursor: runs not started, in cluster id order (parked clusters and
   * those that ran are behind the cursor already). A page shorter than asked is the last.
   */
  private async loadPage(): Promise<void> {
    const { operationId, wave, progress } = this;
    const cursor = progress.cursor!;
    const limit = pageSize(progress.maxParallel);
    this.loading = true;
    try {
      const ids = await bookkeeping.loadWaveClusters.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `load ${limit} clusters of wave ${wave} after '${cursor.after}'`),
        [{ operationId, wave, after: cursor.after, limit, ...(this.input.lane ? { lane: this.input.lane } : {}) }],
      );
      if (ids.length < limit) cursor.done = true;
      if (ids.length > 0) cursor.after = ids[ids.length - 1]!;
      const skip = new Set(this.input.skip);
      const known = new Set([...this.inFlight, ...this.parked.map((p) => p.clusterId)]);
      for (const w of progress.queue) known.add(w.clusterId);
      for (const clusterId of ids) {
        if (!skip.has(clusterId) && !known.has(clusterId)) progress.queue.push({ clusterId, attempt: 1 });
      }
    } finally {
      this.loading = false;
    }
  }

  /**
   * A fresh wave queues the first page of its plan (or the clusters the parent named, then the pages after
   * `resumeAfter`) and the retries handed over; histories from before paging loaded the whole plan here.
   */
  async queueClusters(): Promise<void> {
    const { input, operationId, wave, progress } = this;
    // Histories recorded before the rename carry these lists as `work` and `extra`.
    const onlyClusters = input.onlyClusters ?? input.work;
    const retries = input.retries ?? input.extra ?? [];
    const skip = new Set(input.skip);
    if (onlyClusters === undefined && patched(PAGE_WAVE_CLUSTERS_PATCH)) {
      progress.cursor = { after: '', done: false };
      await this.loadPage();
      for (const work of retries) if (!skip.has(work.clusterId)) this.enqueue(work);
      return;
    }
    if (onlyClusters !== undefined && input.resumeAfter !== undefined) {
      progress.cursor = { after: input.resumeAfter, done: false };
    }
    const planned =
      onlyClusters ??
      (
        await bookkeeping.loadWaveClusters.executeWithOptions(
          withSummary(BOOKKEEPING_OPTIONS, `load the clusters of wave ${wave}`),
          [{ operationId, wave }],
        )
      ).map((clusterId) => ({ clusterId, attempt: 1 }));
    for (const work of [...planned, ...retries]) if (!skip.has(work.clusterId)) this.enqueue(work);
  }

  get stopped(): boolean {
    const { cancelled, budgetExceeded, totalBudgetExceeded } = this.progress;
    return cancelled || budgetExceeded || totalBudgetExceeded;
  }

  get drained(): boolean {
    const { queue } = this.progress;
    const planRead = this.cursor === undefined || (this.cursor.done && !this.loading);
    return planRead && queue.length === 0 && this.inFlight.size === 0 && this.parked.length === 0;
  }

  /**
   * Time to continue as new: when the server suggests it, or (a paging wave) before the clusters in flight
   * could carry this run's history past its bound.
   */
  get historyFull(): boolean {
    const info = workflowInfo();
    if (info.continueAsNewSuggested) return true;
    if (this.cursor === undefined) return false;
    const reserve = Math.min(this.inFlight.size * EVENTS_PER_CLUSTER, DRAIN_RESERVE_MAX);
    return info.historyLength + reserve >= HISTORY_EVENTS_BOUND;
  }

  private get deadlinePassed(): boolean {
    return missesDeadline(Date.now(), this.deadline);
  }

  /** A parked cluster's time has come: it is queued again, unless paused; at the deadline it ends even then. */
  get parkedDue(): boolean {
    if (this.progress.paused && !this.deadlinePassed) return false;
    const now = Date.now();
    return this.parked.some((p) => p.untilMs <= now);
  }

  get canStartOne(): boolean {
    const { paused, queue, maxParallel } = this.progress;
    return !paused && queue.length > 0 && this.inFlight.size < maxParallel;
  }

  /**
   * Sets a cluster aside without a slot or a lease (select recorded its run as waiting): until its window
   * opens, or for leaseCheckSeconds (never past the deadline) when another operation holds it. A window
   * that opens only at or after the deadline is missed at once.
   */
  protected async park(work: ClusterWork, request: ParkRequest): Promise<void> {
    const { operationId, wave, input, progress } = this;
    // Histories recorded before parking never reach here: their select waited for the window in the slot.
    patched('park-clusters');
    const { clusterId, attempt } = work;
    if (request.kind === 'window' && missesDeadline(request.untilMs, this.deadline)) {
      await this.finish(clusterId, 'skipped', { reason: 'window_missed' });
      progress.skipped++;
      return;
    }
    const checkMs = (input.leaseCheckSeconds ?? DEFAULT_LEASE_CHECK_SECONDS) * 1000;
    if (request.kind === 'guard') markGuarded();
    const parked: ParkedCluster =
      request.kind === 'window'
        ? { clusterId, attempt, kind: 'window', untilMs: request.untilMs }
        : request.kind === 'guard'
          ? guardParking(work, request, input.guardCheckSeconds, this.deadline)
          : {
              clusterId,
              attempt,
              kind: 'lease',
              untilMs: Math.min(Date.now() + checkMs, this.deadline ?? Infinity),
              heldBy: request.heldBy,
            };
    (progress.parked ??= []).push(parked);
    log.info('cluster parked', { operationId, wave, ...parked });
    this.wakeForParked();
    if (request.kind === 'guard' && request.tripped) this.guardTripped(request.guard, clusterId);
  }

  /** A fleet limit's hourly failures are over it: no cluster starts, and the operation is asked to pause. */
  protected abstract guardTripped(limit: string, clusterId: string): void;

  /**
   * Keeps one timer armed for the earliest moment a parked cluster needs the wave: its time, or (while paused,
   * when its time has passed) the deadline. A timer already armed for that moment or earlier is enough.
   */
  wakeForParked(): void {
    const now = Date.now();
    let next = Infinity;
    for (const p of this.parked) {
      if (p.untilMs > now) next = Math.min(next, p.untilMs);
      else if (this.progress.paused && this.deadline !== null && this.deadline > now)
        next = Math.min(next, this.deadline);
    }
    if (next === Infinity || [...this.timersAt].some((at) => at <= next)) return;
    this.timersAt.add(next);
    void sleep(Math.max(1, next - now)).then(() => {
      this.timersAt.delete(next);
      this.wakeForParked();
    });
  }

  /** Parked clusters whose time has come go to the front of the queue, to be selected afresh; at the deadline they end. */
  async settleParked(): Promise<void> {
    const { progress } = this;
    const now = Date.now();
    const due = this.parked.filter((p) => p.untilMs <= now);
    if (due.length === 0) return;
    if (this.deadlinePassed) {
      progress.parked = this.parked.filter((p) => p.untilMs > now);
      for (const p of due) {
        // Still waiting at the deadline: a window missed, another operation's lease never released, or the guard.
        const reason =
          p.kind === 'lease'
            ? `leased_by:${p.heldBy ?? 'unknown'}`
            : p.kind === 'guard'
              ? `guarded_by:${p.guard ?? 'unknown'}`
              : 'window_missed';
        await this.finish(p.clusterId, 'skipped', { reason });
        progress.skipped++;
      }
      return;
    }
    if (progress.paused) return;
    progress.parked = this.parked.filter((p) => p.untilMs > now);
    progress.queue.unshift(...due.map(({ clusterId, attempt }) => ({ clusterId, attempt })));
  }

  /** Records how a cluster's turn ended. */
  protected abstract finish(
    clusterId: string,
    outcome: ClusterOutcome,
    details?: { error?: string; reason?: string; version?: string | null },
  ): Promise<unknown>;
}
