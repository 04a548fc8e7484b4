// What each run of a workflow started with: the input decoded from the first event of its history.
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { WaveInput } from '../../domain/workflow-contracts';

/** The input a wave's run started with, from its history. */
export function waveInputOf(history: History): WaveInput {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as WaveInput;
}

/** The input each run of a wave started with, in run order. */
export async function inputsOfRuns(client: Client, workflowId: string, runIds: string[]): Promise<WaveInput[]> {
  const inputs: WaveInput[] = [];
  for (const runId of runIds)
    inputs.push(waveInputOf(await client.workflow.getHandle(workflowId, runId).fetchHistory()));
  return inputs;
}
