// Operator actions governed by the workflow, end to end: signals sent with the real temporal CLI and the
// REST routes over HTTP obey the same rules, are answered (200, or the workflow's reason as a 4xx) and leave
// exactly one audit event each in GET /v1/operations/{id}/events, also when the worker's PostgreSQL link
// is cut while an action waits to be recorded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import { createAdapters } from '../../adapters';
import { createSecretResolver } from '../../adapters/secrets';
import { createPool } from '../../db/pool';
import { resolveTemporalCli } from '../../scripts/lib/temporal';
import { createLivenessCheck } from '../../worker/liveness';
import { createWorker } from '../../worker/worker';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { testEnv, uid } from '../helpers/env';
import {
  runsOf,
  seedFleet,
  startEngine,
  startOperation,
  status,
  waitForState,
  waitForStatus,
  type EngineStack,
} from '../helpers/engine';
import { startTcpProxy } from '../helpers/tcp-proxy';

const cli = resolveTemporalCli(() => undefined);
const noCli = cli ? false : 'no Temporal CLI binary (TEMPORAL_CLI, PATH or the cache)';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

/**
 * `temporal workflow signal --address … --namespace default --workflow-id <id> --name <signal> --input '<json>'`,
 * the command README.md shows, with the pinned CLI binary.
 */
async function signalWithCli(workflowId: string, name: string, input: string): Promise<void> {
  const args = ['workflow', 'signal', '--address', testEnv().temporalAddress, '--namespace', 'default'];
  await promisify(execFile)(cli!.path, [...args, '--workflow-id', workflowId, '--name', name, '--input', input]);
}

interface AuditEvent {
  identity: string;
  role: string;
  action: string;
  payload: Record<string, unknown>;
}

/** The operation's audit events of operator actions (the ones that say how they came), oldest first. */
async function actionEvents(api: TestApi, operationId: string): Promise<AuditEvent[]> {
  const res = await call(api.url, 'GET', `/v1/operations/${operationId}/events?limit=1000`, { token: TOKENS.viewer });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.events as AuditEvent[]).filter((event) => event.payload && 'via' in event.payload);
}

/** Waits until the operation has `count` action events; fails with what it has after 20 s. */
async function eventsUntil(api: TestApi, operationId: string, count: number): Promise<AuditEvent[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await actionEvents(api, operationId);
    if (events.length >= count) return events;
    if (Date.now() > deadline)
      assert.fail(`expected ${count} action events, have ${events.length}: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** One event as [action, identity, role, via, outcome, reason]. */
const row = (event: AuditEvent) => [
  event.action,
  event.identity,
  event.role,
  event.payload.via,
  event.payload.outcome,
  event.payload.reason ?? null,
];

const sim = (config: Record<string, unknown>) => ({ adapter: { type: 'simulated', config } });
const act = (operationId: string, path: string, token: string = TOKENS.operator, body?: unknown) =>
  call(stack.api.url, 'POST', `/v1/operations/${operationId}/${path}`, { token, body });
const appliesTo = async (clusterId: string) =>
  (
    await stack.db.query<{ key: string; status: string }>(
      'SELECT idempotency_key AS key, status FROM sim_apply_requests WHERE cluster_id = $1 ORDER BY started_at',
      [clusterId],
    )
  ).rows;

/** A 4xx whose error code is the workflow's (or the API's) reason. */
function assertRefused(res: { status: number; body: any }, status: number, reason: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.code, reason);
  assert.equal(typeof res.body.error.message, 'string');
}

/** A 200 with the operation's status and the action's report. */
function assertApplied(res: { status: number; body: any }, name: string): void {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.actionResult.name, name);
  assert.equal(res.body.actionResult.outcome, 'applied');
  assert.equal(typeof res.body.actionResult.actionId, 'string');
  assert.equal(typeof res.body.actionResult.message, 'string');
}

describe('signals sent with the temporal CLI', { skip: noCli }, () => {
  test('when the starter or nobody approves by signal, then the wave keeps waiting and each refusal is audited; another approver lets it run', async () => {
    const ids = await seedFleet(stack, 2);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', approval: 'manual' }],
    });
    const waiting = await waitForState(stack, op.id, 'awaiting_approval');
    const starter: string = waiting.startedBy;
    assert.equal(starter, 'ada');

    await signalWithCli(op.id, 'approveWave', JSON.stringify({ wave: 1, by: starter }));
    const [own] = await eventsUntil(stack.api, op.id, 1);
    assert.deepEqual(row(own!), [
      'operation.approve',
      starter,
      'temporal',
      'temporal',
      'rejected',
      'self_approval_forbidden',
    ]);
    assert.equal(own!.payload.wave, 1);
    assert.match(String(own!.payload.message), /cannot approve its waves/);
    const still = await status(stack, op.id);
    assert.equal(still.state, 'awaiting_approval');
    assert.equal(still.waves[0].approvedBy, null);

    await signalWithCli(op.id, 'approveWave', '{"wave":1}');
    const nobody = (await eventsUntil(stack.api, op.id, 2))[1]!;
    assert.deepEqual(row(nobody), ['operation.approve', 'unknown', 'temporal', 'temporal', 'rejected', 'by_required']);

    // A cluster the operation does not have: the run as stored decides, and says so.
    await signalWithCli(op.id, 'retryCluster', JSON.stringify({ clusterId: 'no-such-cluster', by: 'carol' }));
    const unknown = (await eventsUntil(stack.api, op.id, 3))[2]!;
    assert.deepEqual(row(unknown), [
      'operation.retry',
      'carol',
      'temporal',
      'temporal',
      'rejected',
      'cluster_not_found',
    ]);
    assert.equal(unknown.payload.clusterId, 'no-such-cluster');

    await signalWithCli(op.id, 'pause', '{"by":"carol"}');
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'operator');
    await signalWithCli(op.id, 'resume', '{"by":"carol"}');
    await waitForState(stack, op.id, 'awaiting_approval');

    await signalWithCli(op.id, 'approveWave', '{"wave": 1, "by": "carol", "comment": "canary healthy"}');
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 2);
    assert.equal(done.waves[0].approvedBy, 'carol');
    assert.equal(done.waves[0].approvalComment, 'canary healthy');

    const events = await eventsUntil(stack.api, op.id, 6);
    assert.deepEqual(events.map(row), [
      ['operation.approve', starter, 'temporal', 'temporal', 'rejected', 'self_approval_forbidden'],
      ['operation.approve', 'unknown', 'temporal', 'temporal', 'rejected', 'by_required'],
      ['operation.retry', 'carol', 'temporal', 'temporal', 'rejected', 'cluster_not_found'],
      ['operation.pause', 'carol', 'temporal', 'temporal', 'applied', null],
      ['operation.resume', 'carol', 'temporal', 'temporal', 'applied', null],
      ['operation.approve', 'carol', 'temporal', 'temporal', 'applied', null],
    ]);
    const { wave, comment } = events[5]!.payload;
    assert.deepEqual([wave, comment], [1, 'canary healthy']);
  });
});

describe('REST actions answered by the workflow', () => {
  test('when pause, resume, approve and cancel are sent twice or out of turn, then each answers 200 or its reason and leaves one audit event', async () => {
    const ids = await seedFleet(stack, 4, () => sim({ applyMs: 1500 }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length === 1);

    const pause = await act(op.id, 'pause');
    assertApplied(pause, 'pause');
    assert.equal(pause.body.state, 'paused');
    assert.equal(pause.body.pauseReason, 'operator');
    assertRefused(await act(op.id, 'pause'), 409, 'already_paused');

    const resume = await act(op.id, 'resume');
    assertApplied(resume, 'resume');
    assert.equal(resume.body.state, 'running');
    assertRefused(await act(op.id, 'resume'), 409, 'not_paused');

    assertRefused(await act(op.id, 'approve', TOKENS.approver, { wave: 1 }), 409, 'not_awaiting_approval');
    // ada (admin) started it: four-eyes, refused by the API itself, audited the same way.
    assertRefused(await act(op.id, 'approve', TOKENS.admin, { wave: 1 }), 403, 'self_approval_forbidden');

    assertApplied(await act(op.id, 'cancel'), 'cancel');
    await waitForState(stack, op.id, 'cancelled');
    assertRefused(await act(op.id, 'cancel'), 409, 'operation_finished');

    assert.deepEqual((await actionEvents(stack.api, op.id)).map(row), [
      ['operation.pause', 'olga', 'operator', 'api', 'applied', null],
      ['operation.pause', 'olga', 'operator', 'api', 'rejected', 'already_paused'],
      ['operation.resume', 'olga', 'operator', 'api', 'applied', null],
      ['operation.resume', 'olga', 'operator', 'api', 'rejected', 'not_paused'],
      ['operation.approve', 'abe', 'approver', 'api', 'rejected', 'not_awaiting_approval'],
      ['operation.approve', 'ada', 'admin', 'api', 'rejected', 'self_approval_forbidden'],
      ['operation.cancel', 'olga', 'operator', 'api', 'applied', null],
      ['operation.cancel', 'olga', 'operator', 'api', 'rejected', 'operation_finished'],
    ]);
  });

  test('when clusters are retried and skipped mid-wave, then only a failed one is retried and only a pending one is skipped, never applied', async () => {
    // Clusters run in id order, one at a time: the first fails at once (failApply), the others take 1.5 s.
    const ids = await seedFleet(stack, 4, (i) => sim(i === 0 ? { applyMs: 20, failApply: true } : { applyMs: 1500 }));
    const [failing, first, second, third] = ids as [string, string, string, string];
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1, maxFailures: 1 },
    });
    const failed = await waitForStatus(stack, op.id, (s) => s.counts.failed === 1 && s.inFlight.length === 1);
    assert.equal(failed.inFlight[0].clusterId, first);

    const running = await act(op.id, `clusters/${first}/skip`);
    assertRefused(running, 409, 'not_pending');
    assert.match(running.body.error.message, new RegExp(`'${first}' is (applying|monitoring|succeeded)`));
    assertRefused(await act(op.id, `clusters/${second}/retry`), 409, 'not_failed');
    const skip = await act(op.id, `clusters/${third}/skip`, TOKENS.operator, { reason: 'customer freeze' });
    assertApplied(skip, 'skip');

    const fixed = await call(stack.api.url, 'PATCH', `/v1/clusters/${failing}`, { body: sim({ applyMs: 20 }) });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assertApplied(await act(op.id, `clusters/${failing}/retry`), 'retry');

    const firstDone = await waitForStatus(
      stack,
      op.id,
      (s) => s.state === 'running' && s.inFlight.length > 0 && s.inFlight.every((f: any) => f.clusterId !== first),
    );
    assert.equal(firstDone.state, 'running');
    assertRefused(await act(op.id, `clusters/${first}/skip`), 409, 'not_pending');

    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.skipped, done.counts.failed], [3, 1, 0]);
    const runs = await runsOf(stack.db, op.id);
    const skipped = runs.find((r) => r.cluster_id === third)!;
    assert.deepEqual([skipped.state, skipped.reason], ['skipped', 'skipped_by:olga']);
    assert.deepEqual(await appliesTo(third), [], 'a skipped cluster was applied');
    const retried = await appliesTo(failing);
    assert.deepEqual(
      retried.map((r) => [r.key, r.status]),
      [
        [`${op.id}:${failing}:1`, 'rejected'],
        [`${op.id}:${failing}:2`, 'succeeded'],
      ],
    );

    const events = await actionEvents(stack.api, op.id);
    assert.deepEqual(events.map(row), [
      ['operation.skip', 'olga', 'operator', 'api', 'rejected', 'not_pending'],
      ['operation.retry', 'olga', 'operator', 'api', 'rejected', 'not_failed'],
      ['operation.skip', 'olga', 'operator', 'api', 'applied', null],
      ['operation.retry', 'olga', 'operator', 'api', 'applied', null],
      ['operation.skip', 'olga', 'operator', 'api', 'rejected', 'not_pending'],
    ]);
    const { clusterId, comment } = events[2]!.payload;
    assert.deepEqual([clusterId, comment], [third, 'customer freeze']);
  });

  test('when a cluster parked outside its maintenance window is skipped, then the operation stops waiting for it and completes', async () => {
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const notNow = days[(new Date().getUTCDay() + 2) % 7];
    const ids = await seedFleet(stack, 2, (i) => ({
      maintenanceWindows: i === 0 ? [{ days: [notNow], start: '02:00', end: '03:00' }] : [],
    }));
    const parked = ids[0]!;
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2 },
    });
    await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1 && s.counts.succeeded === 1);
    assert.equal((await runsOf(stack.db, op.id)).find((r) => r.cluster_id === parked)!.state, 'waiting_window');

    assertApplied(await act(op.id, `clusters/${parked}/skip`), 'skip');
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.skipped], [1, 1]);
    const run = (await runsOf(stack.db, op.id)).find((r) => r.cluster_id === parked)!;
    assert.deepEqual([run.state, run.reason], ['skipped', 'skipped_by:olga']);
    assert.deepEqual(await appliesTo(parked), []);
    assert.deepEqual((await actionEvents(stack.api, op.id)).map(row), [
      ['operation.skip', 'olga', 'operator', 'api', 'applied', null],
    ]);
  });
});

describe('the audit trail through a PostgreSQL outage', { skip: noCli }, () => {
  test("when the worker's PostgreSQL link is cut while an approval is signalled, then the event is written once the link is back, exactly once", async () => {
    const env = testEnv();
    const target = new URL(env.databaseUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(env.databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    // A worker whose only way to PostgreSQL is the proxy; the API reads the database directly.
    const taskQueue = uid('tq');
    const db = createPool(proxied.toString(), 5);
    const connection = await NativeConnection.connect({ address: env.temporalAddress });
    const liveness = createLivenessCheck(env.temporalAddress, 'default');
    const worker = await createWorker({
      db,
      connection,
      namespace: 'default',
      taskQueue,
      adapters: createAdapters({ db, secrets: createSecretResolver({ env: {} }) }),
      holderState: liveness.holderState,
    });
    const running = worker.run();
    const api = await startApi({ taskQueue });
    try {
      const ids = await seedFleet({ api }, 1);
      const op = await startOperation(
        { api },
        {
          action: { type: 'restart' },
          selector: { ids },
          waves: [{ name: 'gated', approval: 'manual' }],
        },
      );
      await waitForState({ api }, op.id, 'awaiting_approval');

      await proxy.cut();
      await signalWithCli(op.id, 'approveWave', '{"wave": 1, "by": "carol", "comment": "during the outage"}');
      // The audit activity has failed at least once against the cut link and is being retried.
      const handle = api.client.workflow.getHandle(op.id);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => a.activityType?.name === 'recordOperatorAction' && (a.attempt ?? 0) >= 2)) break;
        if (Date.now() > deadline) assert.fail(`the audit activity never retried: ${JSON.stringify(pending)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(await actionEvents(api, op.id), [], 'an event was written while the link was cut');

      await proxy.restore();
      await waitForState({ api }, op.id, 'completed');
      const events = await actionEvents(api, op.id);
      assert.deepEqual(events.map(row), [['operation.approve', 'carol', 'temporal', 'temporal', 'applied', null]]);
      assert.equal(events[0]!.payload.comment, 'during the outage');
    } finally {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await Promise.allSettled([connection.close(), liveness.close(), db.end(), api.close()]);
      await proxy.close();
    }
  });
});
