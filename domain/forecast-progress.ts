// A running operation's forecast, recomputed from its progress: finished waves count their actual time, the
// running wave the clusters it has left (less what those in flight have already done), the waves to come the
// plan's model from now on. Pure, like the plan's forecast in forecast.ts.
import {
  approvalWait,
  basisOf,
  round1,
  timingByKind,
  timingOf,
  waveSpan,
  windowWait,
  type DurationStats,
  type Forecast,
  type ForecastWave,
  type KindBasis,
  type Timing,
  type WaveForecast,
} from './forecast';
import type { OperationStateName, WaveStateName } from './states';

/** What the status says of one wave. */
export interface WaveProgress {
  number: number;
  state: WaveStateName;
  counts: { total: number; pending: number; waiting: number; running: number };
  startedAt: string | null;
  finishedAt: string | null;
  approvedBy: string | null;
}

export interface ProgressInput {
  /** In plan order, with the maxParallel each wave has now. */
  waves: readonly ForecastWave[];
  /** One per wave, in the same order. */
  progress: readonly WaveProgress[];
  inFlight: readonly { wave: number; startedAt: string | null }[];
  kinds: KindBasis[];
  /** The per-cluster time without history (defaultTiming of the request's monitor). */
  defaults: Timing;
  /** This operation's own finished clusters: used instead of the history once there are MIN_SAMPLES. */
  own: DurationStats | null;
  state: OperationStateName;
  pauseReason: string | null;
  /** When the operation started (its record's createdAt). */
  start: Date;
  /** When the forecast is made for: the status's updatedAt, so an unchanged status keeps its forecast. */
  asOf: Date;
}

/** Waves with nothing left to run: their actual time counts. `stopped` is not one: resume runs it again. */
const DONE: readonly WaveStateName[] = ['completed', 'failed', 'cancelled', 'empty'];

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));
const secondsBetween = (from: string | null, to: number) => {
  const start = ms(from);
  return start === null ? 0 : Math.max(0, (to - start) / 1000);
};

/**
 * The forecast of an operation that has not ended. Its expectedSeconds counts from its start (time spent
 * waiting for approvals included, since it has passed) to asOf plus what is left; expectedEndAt is asOf plus
 * what is left. Approvals not given yet and a pause are listed in unknownWaits and add nothing.
 */
export function forecastProgress(input: ProgressInput): Forecast {
  const timing = timingByKind(input.kinds, input.own, input.defaults);
  const asOfMs = input.asOf.getTime();
  const unknownWaits: string[] = input.state === 'paused' ? [`paused:${input.pauseReason ?? 'operator'}`] : [];
  const waves: WaveForecast[] = [];
  const last = input.waves.length - 1;
  let left = 0;
  input.waves.forEach((wave, i) => {
    const p = input.progress[i]!;
    const bake = i < last ? wave.bakeSeconds : 0;
    const finished = ms(p.finishedAt);
    if (DONE.includes(p.state) || (p.state === 'baking' && finished !== null)) {
      const worked = finished === null ? 0 : secondsBetween(p.startedAt, finished);
      if (p.state === 'baking') left += Math.max(0, bake - (asOfMs - finished!) / 1000);
      const baked = p.state === 'completed' || p.state === 'baking' ? bake : 0;
      waves.push({ number: wave.number, expectedSeconds: round1(worked + baked), windowWaitSeconds: 0 });
      return;
    }
    if (wave.approval === 'manual' && p.approvedBy === null) unknownWaits.push(approvalWait(wave.number));
    const t = timingOf(wave.groups, timing);
    const planned = wave.groups.reduce((sum, g) => sum + g.count, 0);
    const clusters = p.counts.total === 0 ? planned : p.counts.pending + p.counts.waiting + p.counts.running;
    if (p.startedAt === null) {
      // Not started: the plan's model, from when the waves before it are expected to end.
      const wait = windowWait(wave.groups, asOfMs + left * 1000);
      const expected = waveSpan(clusters, wave.maxParallel, t, wait) + bake;
      waves.push({ number: wave.number, expectedSeconds: round1(expected), windowWaitSeconds: round1(wait.seconds) });
      left += expected;
      return;
    }
    // Running (or paused, or stopped by its budget): what is left, less what the clusters in flight have done.
    const flying = input.inFlight.filter((run) => run.wave === wave.number);
    const done = flying.map((run) => Math.min(secondsBetween(run.startedAt, asOfMs), t.p50));
    const credit = done.length === 0 ? 0 : done.reduce((a, b) => a + b, 0) / done.length;
    // Parked clusters wait for their window; those whose window is closed now are the ones parked.
    const parked = p.counts.waiting > 0 ? windowWait(wave.groups, asOfMs) : { seconds: 0, clusters: 0 };
    const wait = { seconds: parked.seconds, clusters: parked.seconds > 0 ? p.counts.waiting : 0 };
    const rest = Math.max(0, waveSpan(clusters, wave.maxParallel, t, wait) - credit);
    waves.push({
      number: wave.number,
      expectedSeconds: round1(secondsBetween(p.startedAt, asOfMs) + rest + bake),
      windowWaitSeconds: round1(wait.seconds),
    });
    left += rest + bake;
  });
  const elapsed = Math.max(0, (asOfMs - input.start.getTime()) / 1000);
  return {
    expectedSeconds: round1(elapsed + left),
    expectedEndAt: new Date(asOfMs + Math.round(left * 1000)).toISOString(),
    asOf: input.asOf.toISOString(),
    unknownWaits,
    waves,
    basis: basisOf(input.kinds, input.own),
  };
}
