// Whether a workflow still runs: how a lease held by a crashed or finished operation is found stale.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';

export function createLivenessCheck(address: string, namespace: string) {
  const connection = Connection.lazy({ address });
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
