// With FLEETWAVE_RECORD_HISTORIES=1, stores a finished operation's history and its waves' as replay
// fixtures (test/fixtures/histories), the same files the replay test of engine-history.test.ts reads.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { waveWorkflowId } from '../../domain/ids';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

/** A file that exists is never rewritten: it is the record of older code. */
export async function recordHistories(client: Client, operationId: string, waves: number[], shape: string) {
  if (!process.env.FLEETWAVE_RECORD_HISTORIES) return;
  const targets = [
    { workflowId: operationId, name: `operation-${shape}` },
    ...waves.map((n) => ({ workflowId: waveWorkflowId(operationId, n), name: `wave-${n}-${shape}` })),
  ];
  fs.mkdirSync(FIXTURES, { recursive: true });
  for (const { workflowId, name } of targets) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    try {
      fs.writeFileSync(path.join(FIXTURES, `${name}.json`), historyToJSON(history), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
