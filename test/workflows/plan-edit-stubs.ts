// The plan-edit activities as the stubs answer them (test/workflows/stubs.ts): the stubs' plan changes as
// db/plan-edits.ts changes PostgreSQL's, so the waves page what a move or an append left.
import type { Activities } from '../../activities';

/** What the edits read and change of the stubs. */
export interface EditableStubs {
  plan: string[][];
  runStates: Map<string, string>;
  staged: Map<string, string[]>;
  moved: Map<string, number>;
}

/** A cluster no wave has selected yet moves to a later wave of the plan. */
export function moveInPlan(
  stubs: EditableStubs,
  clusterId: string,
  toWave: number,
): Awaited<ReturnType<Activities['moveClusterRun']>> {
  const { plan } = stubs;
  const from = plan.findIndex((ids) => ids.includes(clusterId)) + 1;
  const refuse = (reason: string) => ({ outcome: 'rejected' as const, reason, message: `${clusterId}: ${reason}` });
  if (from === 0) return refuse('cluster_not_found');
  if (stubs.runStates.has(clusterId)) return refuse('not_pending');
  if (from >= toWave) return refuse('not_later_wave');
  plan[from - 1] = plan[from - 1]!.filter((id) => id !== clusterId);
  plan[toWave - 1] = [...(plan[toWave - 1] ?? []), clusterId].sort();
  stubs.moved.set(clusterId, toWave);
  return { outcome: 'applied', fromWave: from, message: `${clusterId} moved from wave ${from} to wave ${toWave}` };
}

/** The staged clusters (or those a selector's `ids` name) that the plan does not hold become the last wave. */
export function appendToPlan(
  stubs: EditableStubs,
  input: Parameters<Activities['appendWaveRuns']>[0],
): Awaited<ReturnType<Activities['appendWaveRuns']>> {
  const chosen = input.staged ? stubs.staged.get(input.staged) : [input.selector?.ids ?? []].flat();
  if (!chosen) return { outcome: 'rejected', reason: 'selection_not_found', message: 'nothing staged' };
  const held = new Set(stubs.plan.flat());
  const ids = chosen.filter((id) => !held.has(id)).sort();
  if (ids.length === 0) return { outcome: 'rejected', reason: 'empty_wave', message: 'no cluster left' };
  const { number, name, maxParallel = 1, maxFailures = 0, bakeSeconds = 0, approval = 'none' } = input.wave;
  stubs.plan[number - 1] = ids;
  const wave = { number, name, size: ids.length, maxParallel, maxFailures, bakeSeconds, approval };
  return { outcome: 'applied', wave, message: `wave ${number} '${name}' appended with ${ids.length} cluster(s)` };
}
