// A wave carried by lanes: instead of running its clusters itself, the wave starts one lane workflow per
// lane, each paging only its own share of the plan (by a hash of the cluster id) with its share of
// maxParallel, and each continuing as new on its own. One lane's continue-as-new then never stops the
// others, and a wave's histories spread over the server's shards. The wave relays the operator's controls
// to every lane, shares the failure budgets (a lane counts the wave's failures over every lane from the run
// records, and the wave tells the other lanes when one finds a budget spent), and adds up their results.
import {
  allHandlersFinished,
  condition,
  log,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
  type Workflow,
} from '@temporalio/workflow';
import { waveWorkflowId } from '../domain/ids';
import { MAX_WAVE_LANES } from '../domain/operation';
import { FLEET_OPERATION_ID, FLEET_WAVE } from '../domain/search-attributes';
import type { LaneBudgetSpent, WaveInput, WaveResult } from '../domain/workflow-contracts';
import {
  laneBudgetSpentSignal,
  waveBudgetSpentSignal,
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxFailuresSignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';

/**
 * How many lanes carry this run of the wave: one unless lanes were asked for and the run pages its whole
 * plan afresh (a rerun of named clusters, a continued run and a lane itself run as one), and never more
 * than maxParallel, so that every lane starts with a slot.
 */
export function laneCount(input: WaveInput): number {
  const { lanes, lane, onlyClusters, work, carried } = input;
  if (lane !== undefined || lanes === undefined || lanes <= 1) return 1;
  if (onlyClusters !== undefined || work !== undefined || carried !== undefined) return 1;
  return Math.max(1, Math.min(lanes, MAX_WAVE_LANES, input.maxParallel));
}

/** Lane `index`'s part of `total` slots: the remainder goes to the first lanes, so the parts add up. */
export function laneShare(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

type Lane = Promise<ChildWorkflowHandle<Workflow>>;

/** What the wave knows of its own controls while its lanes run. */
interface LanesState {
  paused: boolean;
  maxParallel: number;
  spent: Set<LaneBudgetSpent['budget']>;
}

/** Runs the wave as `count` lane workflows of `laneWorkflow` (the wave workflow itself) and adds up their results. */
export async function runLanes(
  input: WaveInput,
  count: number,
  laneWorkflow: (input: WaveInput) => Promise<WaveResult>,
): Promise<WaveResult> {
  const { operationId } = input;
  const wave = input.wave.number;
  const state: LanesState = { paused: input.paused, maxParallel: input.maxParallel, spent: new Set() };
  const lanes: Lane[] = [];
  // Each lane's relays go one after another, once it runs: two signals sent at once may arrive reordered.
  const relays: Promise<void>[] = [];
  const relay = (index: number, send: (lane: ChildWorkflowHandle<Workflow>) => Promise<void>): void => {
    relays[index] = relays[index]!.then(async () => send(await lanes[index]!)).catch((err: unknown) =>
      log.warn('could not relay to a lane', { operationId, wave, lane: index + 1, error: String(err) }),
    );
  };
  const toAll = (send: (lane: ChildWorkflowHandle<Workflow>, index: number) => Promise<void>): void => {
    for (let i = 0; i < count; i++) relay(i, (lane) => send(lane, i));
  };

  setHandler(wavePauseSignal, () => {
    state.paused = true;
    toAll((lane) => lane.signal(wavePauseSignal));
  });
  setHandler(waveResumeSignal, () => {
    state.paused = false;
    toAll((lane) => lane.signal(waveResumeSignal));
  });
  setHandler(waveCancelSignal, () => toAll((lane) => lane.signal(waveCancelSignal)));
  setHandler(waveSetMaxParallelSignal, ({ maxParallel }) => {
    state.maxParallel = maxParallel;
    toAll((lane, i) => lane.signal(waveSetMaxParallelSignal, { maxParallel: laneShare(maxParallel, i, count) }));
  });
  setHandler(waveSetMaxFailuresSignal, (change) => toAll((lane) => lane.signal(waveSetMaxFailuresSignal, change)));
  // A retried cluster runs in the first lane; a skip reaches every lane, as any of them may hold the cluster.
  setHandler(waveRetrySignal, (work) => relay(0, (lane) => lane.signal(waveRetrySignal, work)));
  setHandler(waveSkipSignal, (skip) => toAll((lane) => lane.signal(waveSkipSignal, skip)));
  setHandler(laneBudgetSpentSignal, (spent) => {
    if (state.spent.has(spent.budget)) return;
    state.spent.add(spent.budget);
    log.warn('a lane found the wave failure budget spent: no lane starts a new cluster', {
      operationId,
      wave,
      ...spent,
    });
    toAll((lane, i) =>
      i === spent.lane ? Promise.resolve() : lane.signal(waveBudgetSpentSignal, { budget: spent.budget }),
    );
  });

  // From the input, as the operation names its waves: a replay under another workflow id names them alike.
  const workflowId = waveWorkflowId(operationId, wave);
  for (let i = 0; i < count; i++) {
    const { lanes: _asked, ...base } = input;
    lanes.push(
      startChild(laneWorkflow, {
        workflowId: `${workflowId}/lane-${i + 1}`,
        args: [
          {
            ...base,
            lane: { index: i, count },
            maxParallel: laneShare(state.maxParallel, i, count),
            paused: state.paused,
            // Retries the operation handed over run in the first lane.
            retries: i === 0 ? (input.retries ?? []) : [],
          },
        ],
        typedSearchAttributes: [
          { key: FLEET_OPERATION_ID, value: operationId },
          { key: FLEET_WAVE, value: wave },
        ],
        staticSummary: `lane ${i + 1} of ${count} of wave ${wave} '${input.wave.name}' of ${operationId}`,
      }),
    );
    relays.push(Promise.resolve());
  }
  log.info('wave started in lanes', { operationId, wave, lanes: count, maxParallel: state.maxParallel });
  const results = await Promise.all(lanes.map(async (lane) => (await lane).result() as Promise<WaveResult>));
  await Promise.all(relays);
  await condition(allHandlersFinished);
  return addUp(results);
}

/** The wave's result from its lanes': counts add up, the gravest outcome wins, what never started is kept. */
export function addUp(results: WaveResult[]): WaveResult {
  const gravest: WaveResult['outcome'][] = ['cancelled', 'total_budget_exceeded', 'budget_exceeded', 'completed'];
  const outcome = gravest.find((o) => results.some((r) => r.outcome === o)) ?? 'completed';
  // A rerun pages on after the earliest place a lane stopped reading: what ran since is no longer pending.
  const resumeAfter = results
    .map((r) => r.resumeAfter)
    .filter((after): after is string => after !== undefined)
    .sort()[0];
  return {
    outcome,
    succeeded: results.reduce((n, r) => n + r.succeeded, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    skipped: results.reduce((n, r) => n + r.skipped, 0),
    notStarted: results.flatMap((r) => r.notStarted),
    ...(resumeAfter !== undefined ? { resumeAfter } : {}),
  };
}
