// What the Web UI shows (search attributes kept current) and replay safety: recorded histories of
// every workflow shape must replay on today's workflow code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { after, before, describe, test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import { call, TOKENS } from '../helpers/api';
import { seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const workflowsPath = require.resolve('../../workflows');

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

async function fleetState(workflowId: string): Promise<unknown> {
  const description = await stack.api.client.workflow.getHandle(workflowId).describe();
  return description.searchAttributes.FleetState?.[0];
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function replay(histories: { workflowId: string; history: unknown }[]) {
  const results = Worker.runReplayHistories(
    { workflowsPath },
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.history) })),
  );
  const failures: string[] = [];
  for await (const result of results) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

/** Replays the operation's and its waves' histories; with FLEETWAVE_RECORD_HISTORIES=1 also stores them. */
async function replayAndRecord(operationId: string, waves: number, shape: string): Promise<string[]> {
  const ids = [operationId, ...Array.from({ length: waves }, (_, i) => waveWorkflowId(operationId, i + 1))];
  const histories = await Promise.all(
    ids.map(async (workflowId, i) => ({
      name: i === 0 ? `operation-${shape}` : `wave-${i}-${shape}`,
      workflowId,
      history: JSON.parse(historyToJSON(await stack.api.client.workflow.getHandle(workflowId).fetchHistory())) as unknown,
    })),
  );
  if (process.env.FLEETWAVE_RECORD_HISTORIES) {
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const h of histories) fs.writeFileSync(path.join(FIXTURES, `${h.name}.json`), JSON.stringify(h.history));
  }
  return replay(histories);
}

describe('an operation in the Web UI and in replay', () => {
  test('when it waits, pauses and completes, then FleetState follows and its histories replay', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({ environment: i === 0 ? 'internal' : 'customer' }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [{ name: 'internal', selector: { environment: 'internal' } }, { name: 'customers', approval: 'manual', maxParallel: 2 }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    await until(async () => (await fleetState(op.id)) === 'awaiting_approval', 'FleetState awaiting_approval');
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/pause`);
    await until(async () => (await fleetState(op.id)) === 'paused', 'FleetState paused');
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, { token: TOKENS.approver, body: { wave: 2 } });
    await waitForState(stack, op.id, 'completed');
    await until(async () => (await fleetState(op.id)) === 'completed', 'FleetState completed');

    const parent = await stack.api.client.workflow.getHandle(op.id).describe();
    assert.equal(parent.searchAttributes.FleetAction?.[0], 'upgrade');
    assert.equal(parent.searchAttributes.FleetTargetVersion?.[0], '3.7.1');
    const wave = await stack.api.client.workflow.getHandle(waveWorkflowId(op.id, 2)).describe();
    assert.equal(wave.searchAttributes.FleetOperationId?.[0], op.id);
    assert.equal(Number(wave.searchAttributes.FleetWave?.[0]), 2);

    assert.deepEqual(await replayAndRecord(op.id, 2, 'approval-pause'), []);
  });

  test('when a wave stops on its budget and a fixed cluster is retried, then its histories replay', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({ adapter: { type: 'simulated', config: { applyMs: 20, failApply: i === 0 } } }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForState(stack, op.id, 'paused');
    await call(stack.api.url, 'PATCH', `/v1/clusters/${ids[0]}`, { body: { adapter: { type: 'simulated', config: {} } } });
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`);
    await waitForState(stack, op.id, 'completed');
    assert.deepEqual(await replayAndRecord(op.id, 1, 'budget-retry'), []);
  });

  test('when an operation is cancelled mid-wave, then its histories replay', async () => {
    const ids = await seedFleet(stack, 4, () => ({ adapter: { type: 'simulated', config: { applyMs: 400 } } }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForState(stack, op.id, 'running');
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
    assert.deepEqual(await replayAndRecord(op.id, 1, 'cancel'), []);
  });

  test('when recorded histories of earlier code are replayed, then today\'s workflows make the same decisions', async () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'no recorded histories in test/fixtures/histories');
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as unknown,
    }));
    assert.deepEqual(await replay(histories), []);
  });
});
