// The planner: turns an operation request and the inventory into numbered waves of cluster ids.
import { ValidationFailed } from './errors';
import { stableHash } from './hash';
import {
  INTERNAL_ENVIRONMENT,
  INTERNAL_WAVE,
  REMAINDER_WAVE,
  canaryWaveName,
  type OperationRequest,
  type WaveDefaults,
  type WaveOverride,
  type WaveSpec,
} from './operation';
import { compileSelector, type PlannableCluster, type Selector } from './selector';
import { compareVersions } from './semver';

export type WaveSettings = WaveDefaults;

/** A declared (or policy-generated) wave with every knob filled in: its override, its own, else `defaults`. */
export interface ResolvedWave extends WaveSettings {
  name: string;
  selector?: Selector;
  percent?: number;
}

export interface PlannedWave extends WaveSettings {
  /** 1-based, contiguous: waves that came out empty take no number. */
  number: number;
  name: string;
  /** Sorted by id. */
  clusterIds: string[];
}

export type SkipReason = 'already_at_target';

export interface SkippedCluster {
  clusterId: string;
  reason: SkipReason;
}

export interface Plan {
  /** Clusters in waves; skipped ones are not counted. */
  total: number;
  waves: PlannedWave[];
  skipped: SkippedCluster[];
  /** Declared waves no cluster fell into, in declaration order, so a typo in a selector is visible. */
  emptyWaves: string[];
  /** Live plan edits (moves, appended waves) written to the recorded plan; absent: none. */
  revision?: number;
}

/**
 * The knobs of one wave. An override is the more specific, later statement (it names this wave in this
 * request), so it wins over the wave's own knob, which wins over `defaults`.
 */
function settingsOf(wave: Partial<WaveSettings>, defaults: WaveDefaults, override: WaveOverride = {}): WaveSettings {
  return {
    maxParallel: override.maxParallel ?? wave.maxParallel ?? defaults.maxParallel,
    maxFailures: override.maxFailures ?? wave.maxFailures ?? defaults.maxFailures,
    bakeSeconds: override.bakeSeconds ?? wave.bakeSeconds ?? defaults.bakeSeconds,
    approval: override.approval ?? wave.approval ?? defaults.approval,
  };
}

/** The request's override of wave `name`, if any; hasOwn, so a wave named like an Object member finds none by accident. */
function overrideOf(request: OperationRequest, name: string): WaveOverride | undefined {
  const overrides = request.waveOverrides;
  return overrides && Object.hasOwn(overrides, name) ? overrides[name] : undefined;
}

function resolveDeclared(wave: WaveSpec, request: OperationRequest): ResolvedWave {
  const resolved: ResolvedWave = {
    name: wave.name,
    ...settingsOf(wave, request.defaults, overrideOf(request, wave.name)),
  };
  if (wave.selector !== undefined) resolved.selector = wave.selector;
  if (wave.percent !== undefined) resolved.percent = wave.percent;
  return resolved;
}

/**
 * The waves a request declares, explicitly or through its policy, in order, without the implicit
 * `remainder` wave, each with its `waveOverrides` entry applied. by-cloud: `internal`
 * (environment=internal, every cloud) when internalFirst, then per cloud in `order` a `<cloud>-canary`
 * slice when canaryPercent is set and `<cloud>` with the rest. Clouds left out of `order` end up in
 * `remainder`.
 */
export function resolveWaves(request: OperationRequest): ResolvedWave[] {
  const { defaults, policy } = request;
  if (request.waves) return request.waves.map((w) => resolveDeclared(w, request));
  if (!policy) return [];
  const generated = (name: string, selector: Selector, percent?: number): ResolvedWave => ({
    name,
    selector,
    ...(percent === undefined ? {} : { percent }),
    ...settingsOf({}, defaults, overrideOf(request, name)),
  });
  const waves: ResolvedWave[] = [];
  if (policy.internalFirst) waves.push(generated(INTERNAL_WAVE, { environment: INTERNAL_ENVIRONMENT }));
  for (const cloud of policy.order) {
    // The canary needs no "not internal" clause: with internalFirst the internal wave claimed those
    // already, and without it internal clusters of the cloud are fair game for its canary.
    if (policy.canaryPercent !== undefined) {
      waves.push(generated(canaryWaveName(cloud), { cloud }, policy.canaryPercent));
    }
    waves.push(generated(cloud, { cloud }));
  }
  return waves;
}

/** True when a wave claims every cluster no earlier wave did, so nothing can be left for `remainder`. */
const takesAllLeft = (wave: ResolvedWave) =>
  (wave.selector === undefined || Object.keys(wave.selector).length === 0) &&
  (wave.percent === undefined || wave.percent === 100);

/**
 * The wave names this request's plans can have, whatever the inventory: every declared or generated
 * wave (even one that comes out empty today), then `remainder` unless a wave always leaves nothing for it.
 */
export function possibleWaveNames(request: OperationRequest): string[] {
  const waves = resolveWaves(request);
  const names = waves.map((w) => w.name);
  return waves.some(takesAllLeft) ? names : [...names, REMAINDER_WAVE];
}

/**
 * Refuses overrides of waves this request can never have. Checked against the request, not the
 * inventory, so an override of a wave that happens to be empty today is accepted (the plan lists
 * that wave in emptyWaves) and the same request is valid tomorrow.
 */
export function checkWaveOverrides(request: OperationRequest): void {
  const names = possibleWaveNames(request);
  const unknown = Object.keys(request.waveOverrides ?? {}).filter((name) => !names.includes(name));
  if (unknown.length === 0) return;
  const catchAll = resolveWaves(request).find(takesAllLeft)?.name;
  const why = (name: string) =>
    name === REMAINDER_WAVE && catchAll !== undefined
      ? `no wave '${REMAINDER_WAVE}' can form: wave '${catchAll}' takes every cluster still unclaimed`
      : `no wave is named '${name}'`;
  throw new ValidationFailed(
    `waveOverrides names ${unknown.length === 1 ? 'a wave' : 'waves'} this plan does not have: ${unknown.join(', ')}`,
    unknown.map((name) => ({
      path: `waveOverrides.${name}`,
      message: `${why(name)}; this request's waves are: ${names.join(', ')}`,
      reason: 'unknown_wave',
      waves: names,
    })),
  );
}

/** ceil(count × percent / 100) in integers, so 10% of 30 is 3, never 4 through float error. */
export function percentShare(count: number, percent: number): number {
  return Math.floor((count * percent + 99) / 100);
}

/** The `percent` slice of `matches`: the lowest stable hashes of the ids, ties broken by id. */
function slice(matches: PlannableCluster[], percent: number): PlannableCluster[] {
  const k = percentShare(matches.length, percent);
  if (k >= matches.length) return matches;
  return matches
    .map((cluster) => ({ cluster, hash: stableHash(cluster.id) }))
    .sort((a, b) => a.hash - b.hash || compareIds(a.cluster.id, b.cluster.id))
    .slice(0, k)
    .map((entry) => entry.cluster);
}

// Code-unit order, not localeCompare: a plan must not depend on the locale of the machine.
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** True when an upgrade has nothing to do on this cluster: it already runs the target or newer. */
function alreadyAtTarget(request: OperationRequest, cluster: PlannableCluster): boolean {
  return request.action.type === 'upgrade' && compareVersions(cluster.version, request.action.targetVersion) >= 0;
}

/**
 * Computes the plan. Pure and deterministic: the same request and the same clusters, in any order,
 * give the same plan. Throws ValidationFailed when waveOverrides names a wave the request cannot have,
 * or when the selector matches no cluster.
 */
export function planOperation(request: OperationRequest, clusters: readonly PlannableCluster[]): Plan {
  checkWaveOverrides(request);
  const inSelection = compileSelector(request.selector);
  const selected = clusters.filter(inSelection).sort((a, b) => compareIds(a.id, b.id));
  if (selected.length === 0) {
    throw new ValidationFailed('the selector matches no cluster', [
      { path: 'selector', message: 'the selector matches no cluster', reason: 'empty_selection' },
    ]);
  }

  const skipped: SkippedCluster[] = [];
  let unclaimed: PlannableCluster[] = [];
  for (const cluster of selected) {
    if (alreadyAtTarget(request, cluster)) skipped.push({ clusterId: cluster.id, reason: 'already_at_target' });
    else unclaimed.push(cluster);
  }

  const waves: PlannedWave[] = [];
  const emptyWaves: string[] = [];
  const addWave = (name: string, settings: WaveSettings, members: PlannableCluster[]) => {
    // Copy the knobs one by one: a ResolvedWave also carries selector and percent, which a plan does not show.
    const { maxParallel, maxFailures, bakeSeconds, approval } = settings;
    const clusterIds = members.map((c) => c.id).sort(compareIds);
    waves.push({ number: waves.length + 1, name, clusterIds, maxParallel, maxFailures, bakeSeconds, approval });
  };

  for (const wave of resolveWaves(request)) {
    const matches = wave.selector ? unclaimed.filter(compileSelector(wave.selector)) : unclaimed;
    const members = wave.percent === undefined ? matches : slice(matches, wave.percent);
    if (members.length === 0) {
      emptyWaves.push(wave.name);
      continue;
    }
    const claimed = new Set(members);
    // Whatever this wave left (non-matches and the rest of a percent slice) stays eligible later.
    unclaimed = unclaimed.filter((c) => !claimed.has(c));
    addWave(wave.name, wave, members);
  }

  // A plan never drops a selected cluster: what no wave claimed runs last, with the defaults and its override.
  if (unclaimed.length > 0) {
    addWave(REMAINDER_WAVE, settingsOf({}, request.defaults, overrideOf(request, REMAINDER_WAVE)), unclaimed);
  }

  const total = waves.reduce((sum, w) => sum + w.clusterIds.length, 0);
  return { total, waves, skipped, emptyWaves };
}
