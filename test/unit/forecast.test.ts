// The forecast model of a plan: percentiles, per-kind timing (history, same target, defaults), waves through
// their slots, window waits, unknown waits. A running operation's forecast is in forecast-progress.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultTiming,
  durationStats,
  forecastPlan,
  groupClusters,
  kindBasis,
  percentile,
  windowWait,
  workSeconds,
  type KindBasis,
} from '../../domain/forecast';
import { history, MONITOR, NOW, wave } from '../helpers/forecast-fixtures';

describe('percentiles', () => {
  const cases: { name: string; values: number[]; q: number; expected: number }[] = [
    { name: 'nothing recorded', values: [], q: 0.5, expected: 0 },
    { name: 'one value', values: [7], q: 0.9, expected: 7 },
    { name: 'the median of an odd count', values: [1, 2, 3], q: 0.5, expected: 2 },
    { name: 'the median of an even count lies between', values: [1, 2, 3, 4], q: 0.5, expected: 2.5 },
    { name: 'p90 of 1..11', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], q: 0.9, expected: 10 },
    { name: 'p90 interpolated', values: [10, 20], q: 0.9, expected: 19 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(percentile(c.values, c.q), c.expected));

  test('durationStats sorts, drops what is not a duration and counts the rest', () => {
    assert.deepEqual(durationStats([30, 10, 20, -1, Number.NaN]), { samples: 3, p50: 20, p90: 28 });
  });
});

describe('how a kind is timed', () => {
  const samples = (n: number, seconds: number, sameTarget = false) =>
    Array.from({ length: n }, () => ({ seconds, sameTarget }));
  const cases: { name: string; found: { seconds: number; sameTarget: boolean }[]; expected: Partial<KindBasis> }[] = [
    {
      name: 'no history: the defaults from the monitor settings',
      found: [],
      expected: { source: 'defaults', samples: 0, p50: 60 + 30, p90: 300 + 30, sameTarget: false },
    },
    {
      name: 'fewer than 5 runs: still the defaults, saying how many there were',
      found: samples(4, 12),
      expected: { source: 'defaults', samples: 4, p50: 90 },
    },
    { name: '5 runs: history', found: samples(5, 12), expected: { source: 'history', samples: 5, p50: 12, p90: 12 } },
    {
      name: 'enough upgrades to the same target: only those',
      found: [...samples(5, 40, true), ...samples(10, 10)],
      expected: { source: 'history', samples: 5, p50: 40, sameTarget: true },
    },
    {
      name: 'too few to the same target: every upgrade of the kind',
      found: [...samples(2, 40, true), ...samples(8, 10)],
      expected: { source: 'history', samples: 10, p50: 10, sameTarget: false },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const basis = kindBasis('kafka', 3, c.found, MONITOR);
      for (const [key, value] of Object.entries(c.expected)) assert.equal(basis[key as keyof KindBasis], value, key);
    });
  }

  test('the defaults count an apply and stableChecks intervals of monitoring', () => {
    assert.deepEqual(defaultTiming({ intervalSeconds: 0.5, stableChecks: 4 }), { p50: 62, p90: 302 });
  });
});

describe('a wave through its slots', () => {
  const t = { p50: 10, p90: 30 };
  const cases: { name: string; clusters: number; maxParallel: number; expected: number }[] = [
    { name: 'no clusters', clusters: 0, maxParallel: 3, expected: 0 },
    { name: 'one cluster: its median', clusters: 1, maxParallel: 5, expected: 10 },
    { name: 'one at a time: medians in a row', clusters: 4, maxParallel: 1, expected: 40 },
    { name: 'side by side in one batch: the slowest, p90', clusters: 3, maxParallel: 3, expected: 30 },
    { name: 'two full batches: a median, then p90', clusters: 6, maxParallel: 3, expected: 40 },
    { name: 'a last batch of one still waits for p90 of the slots', clusters: 7, maxParallel: 3, expected: 50 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(workSeconds(c.clusters, c.maxParallel, t), c.expected));
});

describe('window waits', () => {
  const closedUntil14 = [{ days: ['thu' as const], start: '14:00', end: '16:00' }];
  test('clusters whose window is closed wait until it opens; open ones do not', () => {
    const groups = [
      { kind: 'kafka', count: 2, windows: closedUntil14 },
      { kind: 'kafka', count: 3, windows: [] },
    ];
    assert.deepEqual(windowWait(groups, NOW.getTime()), { seconds: 7200, clusters: 2 });
    assert.deepEqual(windowWait(groups, Date.parse('2026-11-26T15:00:00Z')), { seconds: 0, clusters: 0 });
  });

  test('a wave waits for the window at its expected start, after the waves before it', () => {
    const forecast = forecastPlan({
      waves: [
        wave(1, 1, { bakeSeconds: 3600 }),
        wave(2, 1, { groups: [{ kind: 'kafka', count: 1, windows: closedUntil14 }] }),
      ],
      kinds: [history('kafka', 2, 600, 600)],
      defaults: defaultTiming(MONITOR),
      now: NOW,
    });
    // Wave 2 starts at 13:10 (600 s of work, an hour of bake): 50 minutes before its window opens.
    assert.deepEqual(forecast.waves[1], { number: 2, expectedSeconds: 3000 + 600, windowWaitSeconds: 3000 });
    assert.equal(forecast.expectedSeconds, 600 + 3600 + 3600);
  });

  test('the parked clusters and the others: whichever ends later', () => {
    const groups = [
      { kind: 'kafka', count: 1, windows: closedUntil14 },
      { kind: 'kafka', count: 9, windows: [] },
    ];
    const forecast = forecastPlan({
      waves: [wave(1, 10, { groups, maxParallel: 1 })],
      kinds: [history('kafka', 10, 1000, 1000)],
      defaults: defaultTiming(MONITOR),
      now: NOW,
    });
    assert.equal(forecast.waves[0]!.expectedSeconds, 10_000, 'ten clusters one at a time outlast the 2 h wait');
  });
});

describe('a plan', () => {
  test('with no history: defaults, bake between waves but not after the last, approvals as unknown waits', () => {
    const forecast = forecastPlan({
      waves: [wave(1, 2, { bakeSeconds: 60 }), wave(2, 4, { maxParallel: 2, approval: 'manual', bakeSeconds: 600 })],
      kinds: [kindBasis('kafka', 6, [], MONITOR)],
      defaults: defaultTiming(MONITOR),
      now: NOW,
    });
    assert.equal(forecast.basis.source, 'defaults');
    assert.equal(forecast.basis.samples, 0);
    assert.deepEqual(forecast.basis.perClusterSeconds, { p50: 90, p90: 330 });
    assert.deepEqual(forecast.unknownWaits, ['approval:wave-2']);
    assert.deepEqual(forecast.waves, [
      { number: 1, expectedSeconds: 2 * 90 + 60, windowWaitSeconds: 0 },
      { number: 2, expectedSeconds: 90 + 330, windowWaitSeconds: 0 },
    ]);
    assert.equal(forecast.expectedSeconds, 240 + 420);
    assert.equal(forecast.expectedEndAt, new Date(NOW.getTime() + 660_000).toISOString());
    assert.equal(forecast.asOf, NOW.toISOString());
  });

  test('with two kinds: each wave weighs its kinds by their clusters; the basis is history only when every kind has it', () => {
    const mixed = [
      { kind: 'kafka', count: 3, windows: [] },
      { kind: 'connect', count: 1, windows: [] },
    ];
    const kinds = [history('kafka', 3, 10, 20), { ...kindBasis('connect', 1, [], MONITOR) }];
    const forecast = forecastPlan({
      waves: [wave(1, 4, { groups: mixed })],
      kinds,
      defaults: defaultTiming(MONITOR),
      now: NOW,
    });
    assert.equal(forecast.waves[0]!.expectedSeconds, 4 * ((3 * 10 + 90) / 4));
    assert.equal(forecast.basis.source, 'defaults');
    assert.deepEqual(
      forecast.basis.kinds.map((k) => [k.kind, k.source]),
      [
        ['kafka', 'history'],
        ['connect', 'defaults'],
      ],
    );
  });

  test('clusters are grouped by kind and windows', () => {
    const w = [{ days: ['sat' as const], start: '02:00', end: '06:00' }];
    const groups = groupClusters([
      { kind: 'kafka', maintenanceWindows: [] },
      { kind: 'kafka', maintenanceWindows: w },
      { kind: 'kafka', maintenanceWindows: [] },
    ]);
    assert.deepEqual(groups, [
      { kind: 'kafka', count: 2, windows: [] },
      { kind: 'kafka', count: 1, windows: w },
    ]);
  });
});
