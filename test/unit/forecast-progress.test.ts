// A running operation's forecast, recomputed from its progress: finished waves count their actual time, the
// running wave what it has left less what is in flight, its own durations once it has enough, unknown waits
// for pauses and approvals, parked clusters waiting for their window.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultTiming } from '../../domain/forecast';
import { forecastProgress, type ProgressInput, type WaveProgress } from '../../domain/forecast-progress';
import { history, MONITOR, NOW, wave } from '../helpers/forecast-fixtures';

describe('a running operation', () => {
  const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();
  const progress = (number: number, p: Partial<WaveProgress> & { left?: number } = {}): WaveProgress => {
    const { left = 0, ...rest } = p;
    return {
      number,
      state: 'pending',
      counts: { total: 4, pending: left, waiting: 0, running: 0 },
      startedAt: null,
      finishedAt: null,
      approvedBy: null,
      ...rest,
    };
  };
  const base = (p: Partial<ProgressInput>): ProgressInput => ({
    waves: [wave(1, 4, { bakeSeconds: 100 }), wave(2, 4, { approval: 'manual' })],
    progress: [progress(1, { left: 4 }), progress(2, { left: 4 })],
    inFlight: [],
    kinds: [history('kafka', 8, 10, 20)],
    defaults: defaultTiming(MONITOR),
    own: null,
    state: 'running',
    pauseReason: null,
    start: NOW,
    asOf: NOW,
    ...p,
  });

  test('at its start, it is the plan forecast', () => {
    const forecast = forecastProgress(base({}));
    assert.deepEqual(
      forecast.waves.map((w) => w.expectedSeconds),
      [40 + 100, 40],
    );
    assert.equal(forecast.expectedSeconds, 180);
    assert.deepEqual(forecast.unknownWaits, ['approval:wave-2']);
  });

  test('a finished wave counts its actual time; the running wave what it has left, less what is in flight', () => {
    const forecast = forecastProgress(
      base({
        progress: [
          progress(1, { state: 'completed', startedAt: at(0), finishedAt: at(70) }),
          progress(2, {
            state: 'running',
            startedAt: at(500),
            approvedBy: 'abe',
            counts: { total: 4, pending: 2, waiting: 0, running: 1 },
          }),
        ],
        inFlight: [{ wave: 2, startedAt: at(506) }],
        asOf: new Date(at(510)),
      }),
    );
    assert.deepEqual(forecast.waves[0], { number: 1, expectedSeconds: 170, windowWaitSeconds: 0 });
    // 3 clusters left at 10 s each, the one in flight 4 s along: 26 s more; the wave started 10 s ago.
    assert.deepEqual(forecast.waves[1], { number: 2, expectedSeconds: 36, windowWaitSeconds: 0 });
    assert.deepEqual(forecast.unknownWaits, [], 'the approval was given');
    assert.equal(forecast.expectedSeconds, 510 + 26);
    assert.equal(forecast.expectedEndAt, at(536));
    assert.equal(forecast.asOf, at(510));
  });

  test('a baking wave has the rest of its bake left', () => {
    const forecast = forecastProgress(
      base({
        progress: [progress(1, { state: 'baking', startedAt: at(0), finishedAt: at(50) }), progress(2, { left: 4 })],
        asOf: new Date(at(80)),
      }),
    );
    assert.equal(forecast.expectedSeconds, 80 + 70 + 40);
  });

  test('once enough of its own clusters finished, it uses their durations', () => {
    const own = { samples: 5, p50: 2, p90: 3 };
    const forecast = forecastProgress(base({ own }));
    assert.equal(forecast.basis.source, 'operation');
    assert.equal(forecast.basis.samples, 5);
    assert.deepEqual(
      forecast.waves.map((w) => w.expectedSeconds),
      [8 + 100, 8],
    );
    assert.equal(forecastProgress(base({ own: { ...own, samples: 4 } })).basis.source, 'history');
  });

  test('paused or awaiting approval: the wait is listed and not counted', () => {
    const paused = forecastProgress(base({ state: 'paused', pauseReason: 'alarm:slo' }));
    assert.deepEqual(paused.unknownWaits, ['paused:alarm:slo', 'approval:wave-2']);
    assert.equal(paused.expectedSeconds, 180);
    const waiting = forecastProgress(
      base({
        state: 'awaiting_approval',
        progress: [
          progress(1, { state: 'completed', startedAt: at(0), finishedAt: at(40) }),
          progress(2, { state: 'awaiting_approval', left: 4 }),
        ],
        asOf: new Date(at(140)),
      }),
    );
    assert.deepEqual(waiting.unknownWaits, ['approval:wave-2']);
    assert.equal(waiting.expectedSeconds, 140 + 40);
  });

  test('parked clusters of the running wave wait for their window to open', () => {
    const closed = [{ days: ['thu' as const], start: '13:00', end: '14:00' }];
    const forecast = forecastProgress(
      base({
        waves: [wave(1, 4, { groups: [{ kind: 'kafka', count: 4, windows: closed }] })],
        progress: [
          progress(1, { state: 'running', startedAt: at(0), counts: { total: 4, pending: 0, waiting: 4, running: 0 } }),
        ],
      }),
    );
    assert.deepEqual(forecast.waves[0], { number: 1, expectedSeconds: 3600 + 40, windowWaitSeconds: 3600 });
  });
});
