// Stub activities for the workflow tests: the names and shapes of activities/ (typed as `Activities`, so
// a renamed activity breaks the build), no database and no adapters; every call is recorded, and each
// test chooses the behaviour (failing clusters, held applies, latency).
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { OUTSIDE_WINDOW } from '../../domain/parking';
import { MOVED_AWAY } from '../../domain/plan-edits';
import { appendToPlan, moveInPlan } from './plan-edit-stubs';

export type ActivityName = keyof Activities;
export type InputOf<K extends ActivityName> = Parameters<Activities[K]>[0];

export interface Call {
  name: ActivityName;
  input: unknown;
  at: number;
}

/** Holds calls by key (every key, or only the keys given) until a test releases them, one key at a time or all at once. */
export class Hold {
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly only: Set<string> | undefined;
  private held: boolean;

  constructor(held: boolean | string[] = false) {
    this.held = held !== false;
    this.only = Array.isArray(held) ? new Set(held) : undefined;
  }

  /** Keys of the calls waiting right now. */
  get keys(): string[] {
    return [...this.waiting.keys()];
  }

  hold(): void {
    this.held = true;
  }

  pass(key: string): Promise<void> {
    if (!this.held || (this.only && !this.only.has(key))) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.set(key, [...(this.waiting.get(key) ?? []), resolve]));
  }

  /** Lets the waiting calls of `key` through; later calls with that key are held again. */
  release(key: string): void {
    const waiters = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    for (const resolve of waiters) resolve();
  }

  /** Lets every waiting and every later call through. */
  open(): void {
    this.held = false;
    for (const key of this.keys) this.release(key);
  }
}

export interface StubOptions {
  /** Clusters whose apply throws a permanent `ClusterApplyFailed` (every attempt, until removed). */
  failApply?: string[];
  /** Clusters whose monitor throws a permanent `ClusterUnhealthy`. */
  failMonitor?: string[];
  /** Clusters whose rollback throws a permanent `ClusterApplyFailed`. */
  failRollback?: string[];
  /** Clusters selectCluster refuses, with the reason it gives. */
  notEligible?: Record<string, string>;
  /** Select answers as before parking: the wave waits this many milliseconds for the window, in the slot. */
  windowWaitMs?: Record<string, number>;
  /** Clusters whose maintenance window opens this many milliseconds after their first select: select parks them. */
  windowOpensInMs?: Record<string, number>;
  /** Clusters whose first apply finds the window closed, opening again this many milliseconds later. */
  windowClosesBeforeApplyMs?: Record<string, number>;
  /** Clusters another operation holds (cluster → operation): parked or skipped as the wave's onLeased says. */
  leasedBy?: Record<string, string>;
  /** Every apply (or the applies of the clusters listed) waits in `stubs.applies` until released. */
  holdApplies?: boolean | string[];
  /** Every skipClusters call waits in `stubs.skips` until released. */
  holdSkips?: boolean;
  /** How long each apply takes. */
  applyMs?: number;
  /** How long one cluster's apply takes, instead of applyMs (clusters that finish out of step). */
  applyMsOf?: Record<string, number>;
  /** Clusters whose select fails permanently with this message (an unreadable state past its deadline). */
  failSelect?: Record<string, string>;
  /** Clusters the fleet guard holds back (cluster → what select answers); delete an entry to let one start. */
  guardHolds?: Record<string, GuardHold>;
  /** A fleet limit every recorded failure trips: finishCluster says so, and it stays exceeded until cleared. */
  tripLimit?: string;
  /** Alarms firing from the start (name → message), before the workflow's first check can run. */
  firingAlarms?: Record<string, string>;
}

/** What the fleet guard answers for a cluster: a limit or `freeze:<name>`; a freeze ends at untilMs (or forMs after the first select). */
export interface GuardHold {
  guard: string;
  untilMs?: number;
  forMs?: number;
  tripped?: boolean;
}

export const FROM_VERSION = '1.0.0';
export const TO_VERSION = '2.0.0';

export class StubActivities {
  readonly calls: Call[] = [];
  readonly failApply: Set<string>;
  readonly failMonitor: Set<string>;
  readonly failRollback: Set<string>;
  readonly notEligible: Map<string, string>;
  readonly windowWaitMs: Map<string, number>;
  /** When each cluster's window opens (epoch ms), set at its first select; before then select parks it. */
  readonly windowOpensAt = new Map<string, number>();
  readonly windowOpensInMs: Map<string, number>;
  readonly windowClosesBeforeApplyMs: Map<string, number>;
  /** Leases of other operations: delete an entry to release it. */
  readonly leasedBy: Map<string, string>;
  readonly applies: Hold;
  readonly skips: Hold;
  readonly failSelect: Map<string, string>;
  readonly guardHolds: Map<string, GuardHold>;
  /** Limits checkGuardLimit finds exceeded: delete one to let a resume through. */
  readonly limitsExceeded = new Set<string>();
  readonly tripLimit: string | undefined;
  /** Alarms firing now (name → message): watchAlarms answers as the real one, evaluating every 50 ms. */
  readonly firingAlarms: Map<string, string>;
  applyMs: number;
  readonly applyMsOf: Map<string, number>;
  /** Each cluster's run state as the engine would have stored it, for the operator's retry and skip. */
  readonly runStates = new Map<string, string>();
  /** The audit rows the workflow wrote for operator actions, by action key (written once each). */
  readonly audited = new Map<string, InputOf<'recordOperatorAction'>>();
  /** Live plan edits written (moves and appends), by edit key, with what each answered. */
  readonly edits = new Map<string, { input: unknown; answer: unknown }>();
  /** Clusters an appended wave takes, staged under an id as the API stages them. */
  readonly staged = new Map<string, string[]>();
  /** Clusters moved by a plan edit, and the wave each is in now. */
  readonly moved = new Map<string, number>();
  private readonly running = new Map<number, number>();
  private readonly mostRunning = new Map<number, number>();

  /** `plan[n - 1]` holds the clusters of wave n: what loadWaveClusters answers (a page of it when asked for one). */
  constructor(
    readonly plan: string[][],
    opts: StubOptions = {},
  ) {
    this.failApply = new Set(opts.failApply);
    this.failMonitor = new Set(opts.failMonitor);
    this.failRollback = new Set(opts.failRollback);
    this.notEligible = new Map(Object.entries(opts.notEligible ?? {}));
    this.windowWaitMs = new Map(Object.entries(opts.windowWaitMs ?? {}));
    this.windowOpensInMs = new Map(Object.entries(opts.windowOpensInMs ?? {}));
    this.windowClosesBeforeApplyMs = new Map(Object.entries(opts.windowClosesBeforeApplyMs ?? {}));
    this.leasedBy = new Map(Object.entries(opts.leasedBy ?? {}));
    this.applies = new Hold(opts.holdApplies);
    this.skips = new Hold(opts.holdSkips);
    this.applyMs = opts.applyMs ?? 0;
    this.applyMsOf = new Map(Object.entries(opts.applyMsOf ?? {}));
    this.failSelect = new Map(Object.entries(opts.failSelect ?? {}));
    this.guardHolds = new Map(Object.entries(opts.guardHolds ?? {}));
    this.firingAlarms = new Map(Object.entries(opts.firingAlarms ?? {}));
    this.tripLimit = opts.tripLimit;
  }

  /** A wave's clusters whose run is recorded failed or rolled back, over every lane. */
  failuresOf(wave: number): number {
    const failed = (id: string) => ['failed', 'rolled_back'].includes(this.runStates.get(id) ?? '');
    return (this.plan[wave - 1] ?? []).filter(failed).length;
  }

  callsOf<K extends ActivityName>(name: K): InputOf<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as InputOf<K>);
  }

  /** The status snapshots the workflow wrote, in order. */
  get snapshots(): InputOf<'writeStatusSnapshot'>[] {
    return this.callsOf('writeStatusSnapshot');
  }

  /** Applies in the order they started. */
  get applied(): InputOf<'applyToCluster'>[] {
    return this.callsOf('applyToCluster');
  }

  appliedIds(wave?: number): string[] {
    return this.applied.filter((a) => wave === undefined || a.wave === wave).map((a) => a.clusterId);
  }

  /** The operator attempt of every apply of one cluster, in order. */
  attemptsOf(clusterId: string): number[] {
    return this.applied.filter((a) => a.clusterId === clusterId).map((a) => a.attempt);
  }

  /** Applies running right now. */
  get appliesRunning(): number {
    return [...this.running.values()].reduce((a, b) => a + b, 0);
  }

  /** The most applies that ran at once in one wave (every wave when not given). */
  mostAppliesAtOnce(wave?: number): number {
    if (wave !== undefined) return this.mostRunning.get(wave) ?? 0;
    return Math.max(0, ...this.mostRunning.values());
  }

  /** Starts counting `mostAppliesAtOnce` afresh from the applies running now. */
  resetMostAppliesAtOnce(): void {
    for (const [wave, running] of this.running) this.mostRunning.set(wave, running);
  }

  /** Clusters whose run was recorded finished (by finishCluster or by the monitor), with the outcome. */
  outcomes(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.calls) {
      if (c.name === 'finishCluster') {
        const input = c.input as InputOf<'finishCluster'>;
        out.set(input.clusterId, input.outcome);
      } else if (c.name === 'monitorCluster') {
        const input = c.input as InputOf<'monitorCluster'>;
        if (input.finish && !this.failMonitor.has(input.clusterId)) out.set(input.clusterId, 'succeeded');
      }
    }
    return out;
  }

  /** Records the call, then waits while a hold on this activity keeps `key` back. */
  private async enter(name: ActivityName, input: unknown, key = ''): Promise<void> {
    this.calls.push({ name, input, at: Date.now() });
    if (name === 'applyToCluster') await this.applies.pass(key);
    if (name === 'skipClusters') await this.skips.pass(key);
  }

  /** As the real select: past the deadline the cluster is missed; then the window (before any lease); then the lease. */
  private parkOrMiss(input: InputOf<'selectCluster'>): Awaited<ReturnType<Activities['selectCluster']>> | null {
    const now = Date.now();
    const deadline = input.deadline === undefined ? Infinity : Date.parse(input.deadline);
    if (now >= deadline) return { proceed: false, reason: 'window_missed' };
    const opensInMs = this.windowOpensInMs.get(input.clusterId);
    if (opensInMs !== undefined && !this.windowOpensAt.has(input.clusterId))
      this.windowOpensAt.set(input.clusterId, now + opensInMs);
    const opensAt = this.windowOpensAt.get(input.clusterId);
    if (opensAt !== undefined && opensAt > now) {
      if (opensAt >= deadline) return { proceed: false, reason: 'window_missed' };
      return { proceed: false, park: { kind: 'window', untilMs: opensAt, opensAt: new Date(opensAt).toISOString() } };
    }
    const holder = this.leasedBy.get(input.clusterId);
    if (holder === undefined) return null;
    if (input.onLeased === 'wait') return { proceed: false, park: { kind: 'lease', heldBy: holder } };
    return { proceed: false, reason: `leased_by:${holder}` };
  }

  /** As the real apply when the window closed before this attempt: the cluster is parked until the next one. */
  private closeWindowBeforeApply(clusterId: string): void {
    const closedForMs = this.windowClosesBeforeApplyMs.get(clusterId);
    if (closedForMs === undefined) return;
    this.windowClosesBeforeApplyMs.delete(clusterId);
    const untilMs = Date.now() + closedForMs;
    this.windowOpensAt.set(clusterId, untilMs);
    throw ApplicationFailure.create({
      type: OUTSIDE_WINDOW,
      message: `the maintenance window of ${clusterId} is closed`,
      nonRetryable: true,
      details: [{ untilMs, opensAt: new Date(untilMs).toISOString() }],
    });
  }

  /** The object the worker registers. */
  build(): Activities {
    return {
      loadWaveClusters: async (input) => {
        await this.enter('loadWaveClusters', input);
        const plan = this.plan[input.wave - 1] ?? [];
        if (input.limit === undefined) return [...plan];
        // A page as PostgreSQL answers it, in the plan's order: runs not started, after the cursor.
        const from = input.after ? plan.indexOf(input.after) + 1 : 0;
        const pending = (id: string) => (this.runStates.get(id) ?? 'pending') === 'pending';
        // A lane's page: its share of the plan (PostgreSQL splits by a hash of the id; any split will do here).
        const { lane } = input;
        const inLane = (id: string) => !lane || laneOf(id, lane.count) === lane.index;
        return plan
          .slice(from)
          .filter((id) => pending(id) && inLane(id))
          .slice(0, input.limit);
      },
      selectCluster: async (input) => {
        await this.enter('selectCluster', input);
        const failure = this.failSelect.get(input.clusterId);
        if (failure)
          throw ApplicationFailure.create({ type: 'DeadlineExceeded', message: failure, nonRetryable: true });
        const reason = this.notEligible.get(input.clusterId);
        if (reason) return { proceed: false, reason };
        const parked = this.parkOrMiss(input);
        if (parked) return parked;
        // A hold with untilMs (a freeze, forMs after the first select) ends by itself then.
        const held = this.guardHolds.get(input.clusterId);
        if (held?.forMs !== undefined) held.untilMs ??= Date.now() + held.forMs;
        if (held && (held.untilMs ?? Infinity) > Date.now()) {
          const { guard, untilMs, tripped } = held;
          return {
            proceed: false,
            park: { kind: 'guard', guard, ...(untilMs ? { untilMs } : {}), ...(tripped ? { tripped } : {}) },
          };
        }
        if (this.runStates.get(input.clusterId) === 'skipped') return { proceed: false, reason: 'skipped_by' };
        const movedTo = this.moved.get(input.clusterId);
        if (movedTo !== undefined && movedTo !== input.wave && !this.runStates.has(input.clusterId))
          return { proceed: false, reason: MOVED_AWAY };
        this.runStates.set(input.clusterId, 'applying');
        const windowWaitMs = this.windowWaitMs.get(input.clusterId);
        if (windowWaitMs !== undefined) return { proceed: true, fromVersion: FROM_VERSION, windowWaitMs };
        return { proceed: true, fromVersion: FROM_VERSION };
      },
      applyToCluster: async (input) => {
        const now = (this.running.get(input.wave) ?? 0) + 1;
        this.running.set(input.wave, now);
        this.mostRunning.set(input.wave, Math.max(now, this.mostRunning.get(input.wave) ?? 0));
        try {
          await this.enter('applyToCluster', input, input.clusterId);
          this.closeWindowBeforeApply(input.clusterId);
          const applyMs = this.applyMsOf.get(input.clusterId) ?? this.applyMs;
          if (applyMs > 0) await sleep(applyMs);
          if (this.failApply.has(input.clusterId)) {
            throw ApplicationFailure.nonRetryable(`apply of ${input.clusterId} failed`, 'ClusterApplyFailed');
          }
          return { version: TO_VERSION, duplicate: false };
        } finally {
          this.running.set(input.wave, (this.running.get(input.wave) ?? 1) - 1);
        }
      },
      monitorCluster: async (input) => {
        await this.enter('monitorCluster', input);
        if (this.failMonitor.has(input.clusterId)) {
          throw ApplicationFailure.nonRetryable(`${input.clusterId} is not healthy`, 'ClusterUnhealthy');
        }
        return { checks: 1, version: TO_VERSION, finished: input.finish !== undefined };
      },
      rollbackCluster: async (input) => {
        await this.enter('rollbackCluster', input);
        if (this.failRollback.has(input.clusterId)) {
          throw ApplicationFailure.nonRetryable(`rollback of ${input.clusterId} failed`, 'ClusterApplyFailed');
        }
        return { message: `rolled back to ${input.fromVersion}` };
      },
      finishCluster: async (input) => {
        await this.enter('finishCluster', input);
        this.runStates.set(input.clusterId, input.outcome);
        const failure = input.outcome === 'failed' || input.outcome === 'rolled_back';
        const counted = failure && input.countWaveFailures ? { waveFailed: this.failuresOf(input.wave) } : {};
        if (!this.tripLimit || !failure) return counted;
        this.limitsExceeded.add(this.tripLimit);
        return { guardTripped: this.tripLimit, ...counted };
      },
      checkGuardLimit: async (input) => {
        await this.enter('checkGuardLimit', input);
        const exceeded = this.limitsExceeded.has(input.limit);
        return { exceeded, failuresLastHour: exceeded ? 2 : 0, maxFailuresPerHour: 1 };
      },
      recordOperatorAction: async (input) => {
        await this.enter('recordOperatorAction', input);
        if (!this.audited.has(input.actionKey)) this.audited.set(input.actionKey, input);
      },
      clusterAction: async (input) => {
        await this.enter('clusterAction', input, input.action === 'skip' ? input.clusterId : undefined);
        if (input.action === 'skip') await this.skips.pass(input.clusterId);
        const state = this.runStates.get(input.clusterId) ?? 'pending';
        const allowed =
          input.action === 'retry'
            ? ['failed', 'rolled_back']
            : ['pending', 'waiting_window', 'waiting_lease', 'waiting_guard'];
        const outcome = allowed.includes(state)
          ? { outcome: 'applied' as const, message: input.appliedMessage }
          : {
              outcome: 'rejected' as const,
              reason: input.action === 'retry' ? 'not_failed' : 'not_pending',
              message: `${input.clusterId} is ${state}`,
            };
        if (outcome.outcome === 'applied')
          this.runStates.set(input.clusterId, input.action === 'retry' ? 'pending' : 'skipped');
        const { appliedMessage: _said, clusterId: _named, ...row } = input;
        this.audited.set(input.actionKey, { ...row, ...outcome });
        return outcome;
      },
      requeueCluster: async (input) => {
        await this.enter('requeueCluster', input);
      },
      skipClusters: async (input) => {
        await this.enter('skipClusters', input, input.clusterIds.join(','));
        return input.clusterIds;
      },
      closeOperation: async (input) => {
        await this.enter('closeOperation', input);
        return { skipped: 0, released: 0 };
      },
      moveClusterRun: async (input) => {
        await this.enter('moveClusterRun', input);
        return this.once(input.editKey, input, () => moveInPlan(this, input.clusterId, input.toWave));
      },
      appendWaveRuns: async (input) => {
        await this.enter('appendWaveRuns', input);
        return this.once(input.editKey, input, () => appendToPlan(this, input));
      },
      writeStatusSnapshot: async (input) => {
        await this.enter('writeStatusSnapshot', input);
      },
      watchAlarms: async (input) => {
        await this.enter('watchAlarms', input);
        const activity = Context.current();
        const known = [...input.firing].sort().join(',');
        for (let evaluations = 1; ; evaluations++) {
          const firing = input.alarms
            .filter((alarm) => this.firingAlarms.has(alarm.name))
            .map((alarm) => ({ name: alarm.name, message: this.firingAlarms.get(alarm.name)! }));
          const changed =
            firing
              .map((alarm) => alarm.name)
              .sort()
              .join(',') !== known;
          if (input.once || changed) return { firing, checkedAt: new Date().toISOString(), evaluations };
          activity.heartbeat();
          await activity.sleep(50);
        }
      },
    };
  }

  /** An edit is written once per key, as the real activities do: a repeat answers what the first did. */
  private once<T>(key: string, input: unknown, write: () => T): T {
    const earlier = this.edits.get(key);
    if (earlier) return earlier.answer as T;
    const answer = write();
    this.edits.set(key, { input, answer });
    return answer;
  }

  /** Lets every held call through: a test that ends early must not leave its worker waiting. */
  openAll(): void {
    this.applies.open();
    this.skips.open();
  }
}

/** Which of `count` lanes a cluster id falls in, for the stub's pages. */
export function laneOf(id: string, count: number): number {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_003;
  return hash % count;
}
