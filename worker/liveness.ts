// Whether the workflow that holds a lease still acts: how a lease of a crashed, finished or terminated
// operation is found stale — and when it is safe to take over.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../temporal-connection';

import type { HolderState } from '../activities/select';

export function createLivenessCheck(target: string | TemporalConnectionOptions, namespace: string, graceMs = 30_000) {
  const connection = Connection.lazy(typeof target === 'string' ? { address: target } : target);
  const client = new Client({ connection, namespace });

  async function holderState(workflowId: string): Promise<HolderState> {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      if (description.status.name === 'RUNNING') return 'running';
      // A terminated workflow's activity keeps running until a heartbeat tells it otherwise (at most
      // the heartbeat timeout): wait that long before another operation may touch the cluster.
      const closedAt = description.closeTime?.getTime() ?? 0;
      return Date.now() - closedAt < graceMs ? 'draining' : 'gone';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'gone';
      throw err;
    }
  }

  return {
    holderState,
    close: () => connection.close(),
  };
}
