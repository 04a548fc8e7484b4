// The raw-Temporal baseline: the same shape as an operation (a child per wave, a sliding window of
// maxParallel clusters, three activities per cluster) with no database and no adapters.
import { condition, continueAsNew, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type * as activities from './baseline-activities';

const { noopSelect, noopApply, noopMonitor } = proxyActivities<typeof activities>({ startToCloseTimeout: '1m' });

export interface BaselineWaveInput {
  wave: number;
  size: number;
  maxParallel: number;
  /** Carried across continue-as-new: how many clusters were started already. */
  started?: number;
}

export async function baselineWaveWorkflow(input: BaselineWaveInput): Promise<number> {
  let started = input.started ?? 0;
  let inFlight = 0;
  while (started < input.size) {
    await condition(() => inFlight < input.maxParallel);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight === 0);
      return continueAsNew<typeof baselineWaveWorkflow>({ ...input, started });
    }
    const cluster = `c-${input.wave}-${started++}`;
    inFlight++;
    void (async () => {
      await noopSelect(cluster);
      await noopApply(cluster);
      await noopMonitor(cluster);
    })().finally(() => inFlight--);
  }
  await condition(() => inFlight === 0);
  return input.size;
}

export async function baselineOperationWorkflow(input: {
  waves: number[];
  maxParallel: number;
  id: string;
}): Promise<number> {
  let done = 0;
  for (const [i, size] of input.waves.entries()) {
    if (size === 0) continue;
    done += await executeChild(baselineWaveWorkflow, {
      workflowId: `${input.id}/wave-${i + 1}`,
      args: [{ wave: i + 1, size, maxParallel: input.maxParallel }],
    });
  }
  return done;
}
