// Whether a workflow still runs: how a lease held by a crashed or finished operation is found stale.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../temporal-connection';

export function createLivenessCheck(target: string | TemporalConnectionOptions, namespace: string) {
  const connection = Connection.lazy(typeof target === 'string' ? { address: target } : target);
  const client = new Client({ connection, namespace });
  return {
    isWorkflowRunning: async (workflowId: string): Promise<boolean> => {
      try {
        const description = await client.workflow.getHandle(workflowId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    close: () => connection.close(),
  };
}
