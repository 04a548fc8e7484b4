// Fault 2: the API process dies (SIGKILL) with POST /v1/operations requests in flight; clients retry with the same requestId.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { splitAddress } from '../../scripts/lib/temporal';
import { call, type HttpAnswer } from '../helpers/api';
import { testEnv, uid } from '../helpers/env';
import { assertAllSucceeded, assertNoLeases } from './helpers/checks';
import { startHoldProxy, type HoldProxy } from './helpers/hold-proxy';
import { eventually, measured, QUICK_MONITOR, seed, startStack, waitForState, type FaultStack } from './helpers/stack';

let stack: FaultStack;
let proxy: HoldProxy;
before(async () => {
  // Only the API reaches Temporal through the proxy: holding it keeps a start request in flight.
  proxy = await startHoldProxy(splitAddress(testEnv().temporalAddress));
  stack = await startStack({ apiTemporalAddress: `127.0.0.1:${proxy.port}` });
});
after(async () => {
  await stack?.close();
  await proxy?.close();
});

async function newRequest(clusters = 2) {
  const ids = await seed(stack.api.url, clusters, () => ({ type: 'simulated', config: { applyMs: 200 } }));
  const body = {
    name: uid('api-crash'),
    requestId: uid('req'),
    action: { type: 'restart' },
    selector: { ids },
    monitor: QUICK_MONITOR,
  };
  return { ids, body };
}

const post = (body: object) => call(stack.api.url, 'POST', '/v1/operations', { body });

/** A client's retry loop: repeats the same request through connection errors and 5xx until it gets an answer. */
async function retryUntilAnswered(body: object, timeoutMs = 30_000): Promise<HttpAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await post(body).catch(() => undefined);
    if (res && res.status < 500) return res;
    if (Date.now() > deadline)
      throw new Error(
        `no answer to the retried request: ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'connection failed'}`,
      );
    await sleep(200);
  }
}

async function recorded(requestId: string) {
  const { rows } = await stack.db.query<{ id: string; workflow_started_at: Date | null }>(
    'SELECT id, workflow_started_at FROM operations WHERE idempotency_key = $1',
    [requestId],
  );
  return rows;
}

async function workflowRuns(id: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.temporal.workflow.list({ query: `WorkflowId = '${id}'` })) n++;
  return n;
}

async function startedInTemporal(id: string): Promise<boolean> {
  return stack.temporal.workflow
    .getHandle(id)
    .describe()
    .then(
      () => true,
      () => false,
    );
}

/** Fires `n` identical requests at once and returns their settled answers (errors once the API dies). */
function inFlight(body: object, n: number) {
  return Array.from({ length: n }, () => post(body).catch((err: unknown) => err as Error));
}

/** What the user must see after the crash: the retried request names one operation, which runs to completion. */
async function assertOneOperation(body: { requestId: string }, ids: string[]): Promise<string> {
  const first = await retryUntilAnswered(body);
  assert.ok([200, 201].includes(first.status), `retry answered ${first.status} ${JSON.stringify(first.body)}`);
  const again = await retryUntilAnswered(body);
  assert.equal(again.status, 200, 'a repeated request answers 200');
  assert.equal(again.body.id, first.body.id, 'the same operation');
  const rows = await recorded(body.requestId);
  assert.equal(rows.length, 1, 'one operations row per requestId');
  assert.equal(rows[0]!.id, first.body.id);
  await waitForState(stack.api.url, first.body.id, 'completed');
  await eventually('the workflow listed in visibility', async () => (await workflowRuns(first.body.id)) >= 1);
  assert.equal(await workflowRuns(first.body.id), 1, 'one workflow run for the operation');
  await assertAllSucceeded(stack.db, first.body.id, ids);
  await assertNoLeases(stack.db, ids);
  return first.body.id;
}

describe('API killed with start requests in flight', () => {
  test('when the API dies after recording the operation but before starting its workflow, then the retried request starts that same operation (200, one row)', async (t) => {
    await measured(t, async (report) => {
      const { ids, body } = await newRequest();
      await call(stack.api.url, 'GET', '/v1/operations?limit=1'); // opens the API's Temporal connection
      proxy.hold('up', 'down');
      const answers = inFlight(body, 3);
      const [row] = await eventually('the operation recorded', async () =>
        (await recorded(body.requestId)).length ? recorded(body.requestId) : undefined,
      );
      await sleep(300);
      await stack.api.kill();
      // Let the relay see the dead API's sockets close first: releasing earlier would forward the
      // start request the API had already written, as a network that delivers late would.
      await sleep(500);
      proxy.release();
      const settled = await Promise.all(answers);
      assert.ok(
        settled.every((a) => a instanceof Error),
        'no client got an answer from the killed API',
      );
      assert.equal(row!.workflow_started_at, null);
      assert.equal(await startedInTemporal(row!.id), false, 'the workflow was not started before the crash');
      await stack.api.start();
      const id = await assertOneOperation(body, ids);
      assert.equal(id, row!.id);
      report({ requestsInFlight: 3, operationsRows: 1, workflowRuns: 1 });
    });
  });

  test('when the API dies after starting the workflow but before answering, then the retried request answers 200 with that operation and no second workflow', async (t) => {
    await measured(t, async (report) => {
      const { ids, body } = await newRequest();
      await call(stack.api.url, 'GET', '/v1/operations?limit=1');
      proxy.hold('down');
      const answers = inFlight(body, 3);
      const [row] = await eventually('the operation recorded', async () =>
        (await recorded(body.requestId)).length ? recorded(body.requestId) : undefined,
      );
      await eventually('the workflow started in Temporal', () => startedInTemporal(row!.id));
      await stack.api.kill();
      proxy.release();
      assert.ok(
        (await Promise.all(answers)).every((a) => a instanceof Error),
        'no client got an answer from the killed API',
      );
      await stack.api.start();
      const retry = await retryUntilAnswered(body);
      assert.equal(retry.status, 200, 'the operation existed: the retry is a repeat');
      assert.equal(retry.body.id, row!.id);
      await assertOneOperation(body, ids);
      report({ requestsInFlight: 3, operationsRows: 1, workflowRuns: 1 });
    });
  });

  test('when the API is killed at arbitrary moments of concurrent identical requests, then every retried requestId maps to one operation', async (t) => {
    await measured(t, async (report) => {
      const phases: string[] = [];
      let answered = 0;
      for (const delayMs of [0, 4, 8, 12, 16, 24]) {
        const { ids, body } = await newRequest(1);
        const answers = inFlight(body, 3);
        await sleep(delayMs);
        await stack.api.kill();
        const got = (await Promise.all(answers)).filter((a): a is HttpAnswer => !(a instanceof Error));
        const [row] = await recorded(body.requestId);
        phases.push(!row ? 'not_recorded' : (await startedInTemporal(row.id)) ? 'started' : 'recorded');
        await stack.api.start();
        const id = await assertOneOperation(body, ids);
        // A client that did get an answer before the crash was told the same operation.
        for (const a of got) if (a.status < 300) assert.equal(a.body.id, id);
        answered += got.length;
      }
      report({
        rounds: phases.length,
        phasesAtKill: phases.join('/'),
        clientsAnsweredBeforeKill: `${answered}/${phases.length * 3}`,
      });
    });
  });
});
