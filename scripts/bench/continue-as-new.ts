// Throughput around continue-as-new: when each wave run continued as new (from visibility) against
// when each cluster finished (cluster_runs.finished_at), for a dip in the rate as one run hands over to the next.
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/pool';

/** Throughput around the continue-as-new of the operation's wave runs, from the runs' finish times. */
export interface ContinueAsNewRates {
  /** Wave runs that continued as new. */
  count: number;
  /** Mean seconds between two of them. */
  everySeconds: number;
  /** Clusters/s over the whole operation (first to last finish). */
  overall: number;
  /** Means over every continue-as-new: 10 s before it (up to 2 s before), the slowest second within 2 s of it, 10 s after (from 2 s after). */
  before: number;
  during: number;
  after: number;
  /** The slowest second within 2 s of any continue-as-new. */
  worstDuring: number;
  /**
   * Continue-as-new within 4 s of its wave's first or last finish, left out of the means: a wave's
   * start and its tail (fewer clusters left than slots, then the next wave starting) are slow seconds of
   * their own.
   */
  atWaveEdge: number;
  /**
   * The control: the same "slowest second of four" over windows of four seconds inside a wave, away
   * from every continue-as-new (none within 6 s): the mean, and the slowest of them. A dip shows as
   * `during` below `quietDuring`; the rate's own noise is in both.
   */
  quietDuring: number;
  quietWorst: number;
}

/** Leaves out the seconds a wave ramps up in, and its tail. */
const WAVE_EDGE_MS = 4000;

export async function continueAsNewRates(
  client: Client,
  db: Db,
  operationId: string,
): Promise<ContinueAsNewRates | null> {
  const continued: { at: number; wave: number }[] = [];
  const query = `FleetOperationId = '${operationId}' AND ExecutionStatus = 'ContinuedAsNew'`;
  for await (const wf of client.workflow.list({ query })) {
    // A wave's runs, or its lanes' (`<wave id>/lane-<n>`).
    const wave = Number(/\/wave-(\d+)(?:\/lane-\d+)?$/.exec(wf.workflowId)?.[1]);
    if (wf.closeTime && Number.isInteger(wave)) continued.push({ at: wf.closeTime.getTime(), wave });
  }
  if (continued.length === 0) return null;
  continued.sort((a, b) => a.at - b.at);
  const edges = await db.query<{ wave: number; first: string; last: string }>(
    `SELECT wave, (extract(epoch FROM min(finished_at)) * 1000)::float8 AS first,
            (extract(epoch FROM max(finished_at)) * 1000)::float8 AS last
       FROM cluster_runs WHERE operation_id = $1 AND finished_at IS NOT NULL GROUP BY wave`,
    [operationId],
  );
  const waveSpan = new Map(edges.rows.map((row) => [row.wave, { first: Number(row.first), last: Number(row.last) }]));
  const inside = ({ at, wave }: { at: number; wave: number }) => {
    const span = waveSpan.get(wave);
    return span !== undefined && at - WAVE_EDGE_MS >= span.first && at + WAVE_EDGE_MS <= span.last;
  };
  const closes = continued.filter(inside).map((c) => c.at);
  const result = await db.query<{ t: string }>(
    `SELECT (extract(epoch FROM finished_at) * 1000)::float8 AS t FROM cluster_runs
      WHERE operation_id = $1 AND finished_at IS NOT NULL ORDER BY finished_at`,
    [operationId],
  );
  const finishes = result.rows.map((row) => Number(row.t));
  const below = (t: number) => {
    let lo = 0;
    let hi = finishes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (finishes[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // A window shorter than a second (the operation's first or last moments) says nothing: NaN, left out.
  const rate = (from: number, to: number) =>
    to - from < 1000 ? NaN : (below(to) - below(from)) / ((to - from) / 1000);
  const first = finishes[0]!;
  const last = finishes.at(-1)!;
  // The slowest of the four seconds from 2 s before `t` to 2 s after it.
  const slowestOfFour = (t: number) =>
    Math.min(...Array.from({ length: 4 }, (_, i) => rate(t - 2000 + i * 1000, t - 1000 + i * 1000)));
  const around = closes.map((t) => ({
    before: rate(Math.max(first, t - 10_000), t - 2000),
    during: slowestOfFour(t),
    after: rate(t + 2000, Math.min(last, t + 10_000)),
  }));
  const quiet: number[] = [];
  for (const span of waveSpan.values()) {
    for (let t = span.first + WAVE_EDGE_MS; t + WAVE_EDGE_MS <= span.last; t += 4000) {
      if (continued.some((c) => Math.abs(c.at - t) < 6000)) continue;
      const slowest = slowestOfFour(t);
      if (Number.isFinite(slowest)) quiet.push(slowest);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    count: continued.length,
    everySeconds: (continued.at(-1)!.at - continued[0]!.at) / 1000 / Math.max(1, continued.length - 1),
    atWaveEdge: continued.length - closes.length,
    overall: finishes.length / ((last - first) / 1000),
    before: mean(around.map((a) => a.before).filter(Number.isFinite)),
    during: mean(around.map((a) => a.during).filter(Number.isFinite)),
    after: mean(around.map((a) => a.after).filter(Number.isFinite)),
    worstDuring: around.length > 0 ? Math.min(...around.map((a) => a.during)) : NaN,
    quietDuring: quiet.length > 0 ? mean(quiet) : NaN,
    quietWorst: quiet.length > 0 ? Math.min(...quiet) : NaN,
  };
}

/** The table BENCHMARKS.md shows for the sizes whose waves continued as new. */
export function renderContinueAsNew(
  rows: { stack: string; clusters: number; rates: ContinueAsNewRates | null }[],
): string[] {
  const continued = rows.filter((r) => r.rates);
  if (continued.length === 0) return [];
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  return [
    '',
    "Throughput around each continue-as-new of a wave run, in clusters/s from the clusters' finish times: the mean over every continue-as-new of the 10 s before it and the 10 s after it (each leaving out the 2 s next to it), and of the slowest second within 2 s of it; the slowest such second of all. A continue-as-new within 4 s of its wave's first or last finish is left out (its wave's ramp-up or tail is slow without it): the column 'at a wave's edge' counts them. The control: the slowest second of four-second windows inside a wave with no continue-as-new within 6 s, their mean and the slowest of them; a dip shows as 'slowest second around' below it.",
    '',
    "| stack | clusters | wave runs continued as new | at a wave's edge | every | overall | before | slowest second around | after | slowest second of all | control: slowest second away from it | slowest of those |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...continued.map(({ stack, clusters, rates }) => {
      const r = rates!;
      const cells = [
        stack,
        clusters,
        r.count,
        r.atWaveEdge,
        `${r.everySeconds.toFixed(1)} s`,
        f(r.overall),
        f(r.before),
        f(r.during),
        f(r.after),
        f(r.worstDuring),
        f(r.quietDuring),
        f(r.quietWorst),
      ];
      return `| ${cells.join(' | ')} |`;
    }),
  ];
}
