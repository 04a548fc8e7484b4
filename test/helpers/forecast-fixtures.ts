// What the forecast unit tests share: a fixed now, a monitor, a kind timed from history, a one-kind wave.
import type { ForecastWave, KindBasis } from '../../domain/forecast';

// 2026-11-26 is a Thursday.
export const NOW = new Date('2026-11-26T12:00:00Z');
export const MONITOR = { intervalSeconds: 10, stableChecks: 3 };

export const history = (kind: string, clusters: number, p50: number, p90: number, samples = 20): KindBasis => ({
  kind,
  clusters,
  samples,
  p50,
  p90,
  source: 'history',
  sameTarget: false,
});

export const wave = (number: number, count: number, knobs: Partial<ForecastWave> = {}): ForecastWave => ({
  number,
  maxParallel: 1,
  bakeSeconds: 0,
  approval: 'none',
  groups: [{ kind: 'kafka', count, windows: [] }],
  ...knobs,
});
