// Forecasts: how long a plan takes, from the recorded durations of past cluster runs of the same kind and
// action (or defaults taken from the request when there are too few). Pure: the API gathers the durations,
// this turns them into per-cluster times and waves into seconds. A running operation's forecast, recomputed
// from its progress, is in forecast-progress.ts.
import type { Cluster } from './cluster';
import { msUntilWindowOpen } from './maintenance';
import type { MonitorSpec } from './operation';

type Window = Cluster['maintenanceWindows'][number];

/** Below this many recorded durations a kind's history is not trusted, and the defaults stand in. */
export const MIN_SAMPLES = 5;
/** What an apply is taken to last when nothing was recorded, before the monitor's own time. */
export const DEFAULT_APPLY_SECONDS = { p50: 60, p90: 300 } as const;

/** history: past runs of the kind and action; defaults: too few of them; operation: this operation's own. */
export type ForecastSource = 'history' | 'defaults' | 'operation';

export interface Timing {
  p50: number;
  p90: number;
}

export interface DurationStats extends Timing {
  samples: number;
}

/** One recorded duration: seconds from a run's start (its select, under the lease) to its success. */
export interface DurationSample {
  seconds: number;
  /** An upgrade to the same target version as the one forecast. */
  sameTarget: boolean;
}

/** How one kind's clusters are timed, and from what. */
export interface KindBasis extends Timing {
  kind: string;
  /** The plan's clusters of this kind. */
  clusters: number;
  /** The durations found (when fewer than MIN_SAMPLES, the defaults are used and this says how many there were). */
  samples: number;
  source: 'history' | 'defaults';
  /** The durations are of upgrades to the same target version only (there were enough of them). */
  sameTarget: boolean;
}

/** Clusters of one wave that share a kind and maintenance windows. */
export interface ClusterGroup {
  kind: string;
  count: number;
  windows: readonly Window[];
}

/** A wave as the forecast sees it: its knobs and its clusters, grouped. */
export interface ForecastWave {
  number: number;
  maxParallel: number;
  bakeSeconds: number;
  approval: 'none' | 'manual';
  groups: readonly ClusterGroup[];
}

export interface WaveForecast {
  number: number;
  expectedSeconds: number;
  windowWaitSeconds: number;
}

export interface Forecast {
  /** From the operation's start (now, for a plan) to its end, manual approvals and pauses not counted. */
  expectedSeconds: number;
  expectedEndAt: string;
  /** The time the forecast was made for: now for a plan, the status's updatedAt for an operation. */
  asOf: string;
  /** Waits nobody can forecast, left out of the totals: `approval:wave-<n>`, `paused:<pauseReason>`. */
  unknownWaits: string[];
  waves: WaveForecast[];
  basis: {
    samples: number;
    perClusterSeconds: Timing;
    source: ForecastSource;
    kinds: KindBasis[];
  };
}

/** The name an unforecastable approval goes by in unknownWaits. */
export const approvalWait = (wave: number) => `approval:wave-${wave}`;

export const round1 = (seconds: number) => Math.round(seconds * 10) / 10;

/** The q-quantile (0..1) of ascending values, interpolated between neighbours (as PostgreSQL's percentile_cont). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function durationStats(seconds: readonly number[]): DurationStats {
  const sorted = seconds.filter((s) => Number.isFinite(s) && s >= 0).sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
}

/**
 * Per-cluster time when too few runs were recorded: an apply of DEFAULT_APPLY_SECONDS, then the monitor's
 * stableChecks passing checks intervalSeconds apart (one interval more than the fastest monitor, for the
 * cluster to come back).
 */
export function defaultTiming(monitor: Pick<MonitorSpec, 'intervalSeconds' | 'stableChecks'>): Timing {
  const watching = monitor.intervalSeconds * monitor.stableChecks;
  return { p50: DEFAULT_APPLY_SECONDS.p50 + watching, p90: DEFAULT_APPLY_SECONDS.p90 + watching };
}

/**
 * How one kind is timed: upgrades to the same target when there are MIN_SAMPLES of them, else every run of
 * the kind and action, else the defaults.
 */
export function kindBasis(
  kind: string,
  clusters: number,
  samples: readonly DurationSample[],
  monitor: Pick<MonitorSpec, 'intervalSeconds' | 'stableChecks'>,
): KindBasis {
  const same = samples.filter((s) => s.sameTarget).map((s) => s.seconds);
  if (same.length >= MIN_SAMPLES && same.length < samples.length) {
    return { kind, clusters, ...durationStats(same), source: 'history', sameTarget: true };
  }
  const all = durationStats(samples.map((s) => s.seconds));
  if (all.samples >= MIN_SAMPLES)
    return { kind, clusters, ...all, source: 'history', sameTarget: same.length === all.samples };
  return { kind, clusters, samples: all.samples, ...defaultTiming(monitor), source: 'defaults', sameTarget: false };
}

/** The per-cluster time of a set of groups: each kind's time, weighted by its clusters. */
export function timingOf(groups: readonly ClusterGroup[], timing: (kind: string) => Timing): Timing {
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  if (total === 0) return { p50: 0, p90: 0 };
  let p50 = 0;
  let p90 = 0;
  for (const g of groups) {
    const t = timing(g.kind);
    p50 += (t.p50 * g.count) / total;
    p90 += (t.p90 * g.count) / total;
  }
  return { p50, p90 };
}

/**
 * `clusters` worked through `maxParallel` slots: every batch but the last takes the median, and the last
 * takes p90 when several clusters run side by side (the wave waits for the slowest of them).
 */
export function workSeconds(clusters: number, maxParallel: number, t: Timing): number {
  if (clusters <= 0) return 0;
  const slots = Math.max(1, maxParallel);
  const batches = Math.ceil(clusters / slots);
  const tail = Math.min(clusters, slots) > 1 ? t.p90 : t.p50;
  return (batches - 1) * t.p50 + tail;
}

/** The clusters whose window is closed at `atMs`, and the longest wait for one to open. */
export function windowWait(groups: readonly ClusterGroup[], atMs: number): { seconds: number; clusters: number } {
  let seconds = 0;
  let clusters = 0;
  const at = new Date(atMs);
  for (const g of groups) {
    const wait = msUntilWindowOpen(g.windows, at) / 1000;
    if (wait <= 0) continue;
    clusters += g.count;
    seconds = Math.max(seconds, wait);
  }
  return { seconds, clusters };
}

/**
 * A wave's time from its start, bake excluded: its clusters through its slots, or the wait for the last
 * window to open and then the waiting clusters, whichever is longer (a parked cluster holds no slot).
 */
export function waveSpan(
  clusters: number,
  maxParallel: number,
  t: Timing,
  wait: { seconds: number; clusters: number },
): number {
  const work = workSeconds(clusters, maxParallel, t);
  if (wait.clusters === 0) return work;
  return Math.max(work, wait.seconds + workSeconds(Math.min(wait.clusters, clusters), maxParallel, t));
}

/** The basis a forecast shows: one per-cluster time over every cluster, and where it came from. */
export function basisOf(kinds: KindBasis[], own: DurationStats | null): Forecast['basis'] {
  const shown = kinds.map((k) => ({ ...k, ...roundTiming(k) }));
  if (own && own.samples >= MIN_SAMPLES) {
    return { samples: own.samples, perClusterSeconds: roundTiming(own), source: 'operation', kinds: shown };
  }
  const groups = kinds.map((k) => ({ kind: k.kind, count: k.clusters, windows: [] }));
  const byKind = new Map(kinds.map((k) => [k.kind, k]));
  const overall = timingOf(groups, (kind) => byKind.get(kind)!);
  const fromHistory = kinds.length > 0 && kinds.every((k) => k.source === 'history');
  return {
    samples: kinds.reduce((sum, k) => sum + k.samples, 0),
    perClusterSeconds: roundTiming(overall),
    source: fromHistory ? 'history' : 'defaults',
    kinds: shown,
  };
}

const roundTiming = (t: Timing): Timing => ({ p50: round1(t.p50), p90: round1(t.p90) });

/**
 * How each kind is timed for this forecast: the operation's own durations, when it has enough, else its
 * kind's; a kind nothing was asked about (its clusters were deleted) takes `defaults`.
 */
export function timingByKind(
  kinds: readonly KindBasis[],
  own: DurationStats | null,
  defaults: Timing,
): (kind: string) => Timing {
  if (own && own.samples >= MIN_SAMPLES) return () => own;
  const byKind = new Map(kinds.map((k) => [k.kind, k]));
  return (kind) => byKind.get(kind) ?? defaults;
}

/**
 * The forecast of a plan that starts at `now`: wave after wave, each from the end of the one before (bake
 * included, except after the last wave); a wave's window waits are judged at its expected start. Manual
 * approvals are listed in unknownWaits and add nothing.
 */
export function forecastPlan(input: {
  waves: readonly ForecastWave[];
  kinds: KindBasis[];
  /** The per-cluster time without history (defaultTiming of the request's monitor). */
  defaults: Timing;
  now: Date;
}): Forecast {
  const timing = timingByKind(input.kinds, null, input.defaults);
  const nowMs = input.now.getTime();
  const unknownWaits: string[] = [];
  const waves: WaveForecast[] = [];
  let offset = 0;
  input.waves.forEach((wave, i) => {
    if (wave.approval === 'manual') unknownWaits.push(approvalWait(wave.number));
    const clusters = wave.groups.reduce((sum, g) => sum + g.count, 0);
    const wait = windowWait(wave.groups, nowMs + offset * 1000);
    const span = waveSpan(clusters, wave.maxParallel, timingOf(wave.groups, timing), wait);
    const expected = span + (i < input.waves.length - 1 ? wave.bakeSeconds : 0);
    waves.push({ number: wave.number, expectedSeconds: round1(expected), windowWaitSeconds: round1(wait.seconds) });
    offset += expected;
  });
  return {
    expectedSeconds: round1(offset),
    expectedEndAt: new Date(nowMs + Math.round(offset * 1000)).toISOString(),
    asOf: input.now.toISOString(),
    unknownWaits,
    waves,
    basis: basisOf(input.kinds, null),
  };
}

/** Groups clusters by kind and maintenance windows: the shape a forecast reads a wave's clusters in. */
export function groupClusters(clusters: readonly Pick<Cluster, 'kind' | 'maintenanceWindows'>[]): ClusterGroup[] {
  const groups = new Map<string, ClusterGroup>();
  for (const c of clusters) {
    const key = JSON.stringify([c.kind, c.maintenanceWindows]);
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { kind: c.kind, count: 1, windows: c.maintenanceWindows });
  }
  return [...groups.values()];
}
