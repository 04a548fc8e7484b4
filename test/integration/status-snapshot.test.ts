// Status served from the snapshot the workflow keeps in PostgreSQL, end to end: it equals the workflow's
// live state through an operation's life; an action answered 200 by one API process shows at once in a
// second one (each with its own status cache), and a poller's If-None-Match gets 304 until it does; an operation without a snapshot still answers via the query.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteStatusSnapshot } from '../../db/status-snapshots';
import { statusQuery } from '../../workflows/messages';
import { startDemoSignals, type DemoSignals } from '../../scripts/lib/demo-signals';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { recordHistories } from '../workflows/record-history';
import { seedFleet, startEngine, startOperation, waitForStatus, type EngineStack } from '../helpers/engine';

let stack: EngineStack;
/** A second API process over the same database and Temporal: its own pool and its own status cache. */
let replica: TestApi;
let signals: DemoSignals;
before(async () => {
  [stack, signals] = await Promise.all([startEngine(), startDemoSignals()]);
  replica = await startApi({ taskQueue: stack.taskQueue });
});
after(async () => {
  await Promise.all([stack.close(), replica.close(), signals.close()]);
});

const sim = (config: Record<string, unknown>) => ({
  adapter: { type: 'simulated', config: { applyMs: 50, ...config } },
});
const get = async (api: TestApi, id: string) => {
  const res = await call(api.url, 'GET', `/v1/operations/${id}`, { token: TOKENS.viewer });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};
const act = (api: TestApi, id: string, action: string, token: string, body?: unknown) =>
  call(api.url, 'POST', `/v1/operations/${id}/${action}`, { token, body });

/** What status shows of the workflow's own state, from a status answer or from the workflow's query. */
function workflowPart(s: any) {
  return {
    state: s.state,
    pauseReason: s.pauseReason,
    currentWave: s.currentWave,
    pendingApproval: s.pendingApproval,
    error: s.error,
    maxParallelOverride: s.maxParallelOverride,
    waves: s.waves.map((w: any) => ({
      number: w.number,
      state: w.state,
      approvedBy: w.approvedBy,
      approvedAt: w.approvedAt,
      approvalComment: w.approvalComment,
      startedAt: w.startedAt,
      finishedAt: w.finishedAt,
    })),
  };
}

/**
 * Polls both API processes until their answer, served from the snapshot, equals the workflow's live state
 * (the workflow writes its snapshot just after it changes), and the state is the one expected.
 */
async function snapshotMatchesLive(id: string, state: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const live = await stack.api.client.workflow.getHandle(id).query(statusQuery);
    const answers = [await get(stack.api, id), await get(replica, id)];
    const expected = workflowPart(live);
    const same = answers.every(
      (s) => s.source === 'snapshot' && JSON.stringify(workflowPart(s)) === JSON.stringify(expected),
    );
    if (same && live.state === state) return answers[0];
    if (Date.now() > deadline) {
      assert.deepEqual(answers.map(workflowPart), [expected, expected], `status never matched the live ${state}`);
      assert.equal(live.state, state);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('status from the snapshot', () => {
  test('when an operation waits for approval, stops on its budget, pauses for an alarm and completes, then the snapshot answer equals the live state, and every action shows at once on the other API process', async () => {
    const alarm = `snapshot-${Date.now()}`;
    signals.setAlarm(alarm, { firing: false, message: 'quiet' });
    // The first cluster fails; the last two take long enough to be running or waiting when paused.
    const ids = await seedFleet(stack, 4, (i) => sim(i === 0 ? { failApply: true } : i >= 2 ? { applyMs: 1000 } : {}));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'first', selector: { ids: ids.slice(0, 2) }, approval: 'manual', maxParallel: 1 }],
      defaults: { maxFailures: 0 },
      onFailure: 'pause',
      alarms: [{ name: 'slo', type: 'http', url: `${signals.url}/alarms/${alarm}` }],
      alarmIntervalSeconds: 0.3,
    });

    const waiting = await snapshotMatchesLive(op.id, 'awaiting_approval');
    assert.deepEqual(waiting.pendingApproval, { wave: 1 });

    // Approved through one process, read through the other right after the 200.
    const approved = await act(stack.api, op.id, 'approve', TOKENS.approver, { wave: 1, comment: 'go' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const seen = await get(replica, op.id);
    assert.equal(seen.pendingApproval, null);
    assert.equal(seen.waves[0].approvedBy, 'abe');
    assert.equal(seen.waves[0].approvalComment, 'go');

    // The failing cluster spends the wave's budget: the operation pauses.
    const stopped = await snapshotMatchesLive(op.id, 'paused');
    assert.equal(stopped.pauseReason, 'failure_budget_exceeded');
    assert.equal(stopped.waves[0].state, 'stopped');

    // An alarm fires while paused: the pause is now the alarm's.
    signals.setAlarm(alarm, { firing: true, message: 'error budget burning' });
    await waitForStatus(stack, op.id, (s) => s.pauseReason === 'alarm:slo');
    const alarmed = await snapshotMatchesLive(op.id, 'paused');
    assert.equal(alarmed.pauseReason, 'alarm:slo');
    assert.equal(alarmed.alarms[0].firing, true);

    // Cleared and resumed through the second process; the first shows it at once.
    signals.setAlarm(alarm, { firing: false, message: 'quiet again' });
    await waitForStatus(stack, op.id, (s) => s.alarms[0].firing === false);
    const resumed = await act(replica, op.id, 'resume', TOKENS.operator);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const afterResume = await get(stack.api, op.id);
    assert.equal(afterResume.pauseReason, null);
    assert.notEqual(afterResume.state, 'paused');

    // A skip changes only a run: its 200 still reaches the other process's counts at once.
    const paused = await act(stack.api, op.id, 'pause', TOKENS.operator);
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    const beforeSkip = await get(replica, op.id);
    assert.equal(beforeSkip.state, 'paused');
    assert.equal(beforeSkip.counts.skipped, 0);
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters?state=pending`, {
      token: TOKENS.viewer,
    });
    const skippable = runs.body.runs.map((r: any) => r.clusterId).find((c: string) => ids.slice(2).includes(c));
    assert.ok(skippable, JSON.stringify(runs.body));
    const skipped = await act(stack.api, op.id, `clusters/${skippable}/skip`, TOKENS.operator);
    assert.equal(skipped.status, 200, JSON.stringify(skipped.body));
    assert.equal((await get(replica, op.id)).counts.skipped, 1);
    assert.equal((await act(replica, op.id, 'resume', TOKENS.operator)).status, 200);

    const done = await snapshotMatchesLive(op.id, 'completed');
    assert.equal(done.source, 'snapshot');
    assert.equal(done.counts.failed, 1);
    // The operation's history with its snapshot writes, as a replay fixture (FLEETWAVE_RECORD_HISTORIES=1).
    await recordHistories(stack.api.client, op.id, [], 'status-snapshot');
  });

  test('when maxParallel changes through one process, then the other shows it at once', async () => {
    const ids = await seedFleet(stack, 2);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', selector: { ids }, approval: 'manual' }],
    });
    await snapshotMatchesLive(op.id, 'awaiting_approval');
    await get(replica, op.id);
    // A poller that sends the ETag back is told nothing changed, until something does. (fetch adds
    // `Cache-Control: no-cache` to a conditional request unless one is given, and no-cache asks for the body.)
    const revalidate = (tag: string) => ({ 'if-none-match': tag, 'cache-control': 'max-age=0' });
    const statusPath = `/v1/operations/${op.id}`;
    const tagged = await call(replica.url, 'GET', statusPath, { token: TOKENS.viewer });
    const etag = tagged.headers.get('etag');
    assert.ok(etag, 'status carries an ETag');
    const unchanged = await call(replica.url, 'GET', statusPath, {
      token: TOKENS.viewer,
      headers: revalidate(etag),
    });
    assert.equal(unchanged.status, 304);
    const patched = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, {
      token: TOKENS.operator,
      body: { maxParallel: 7 },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const changed = await call(replica.url, 'GET', statusPath, {
      token: TOKENS.viewer,
      headers: revalidate(etag),
    });
    assert.equal(changed.status, 200, 'the ETag of the answer before the change no longer matches');
    assert.equal(changed.body.maxParallelOverride, 7);
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.equal((await act(replica, op.id, 'cancel', TOKENS.operator)).status, 200);
    await snapshotMatchesLive(op.id, 'cancelled');
  });

  test('when an operation has no snapshot (one from before snapshots), then status answers from the workflow query', async () => {
    const ids = await seedFleet(stack, 2);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', selector: { ids }, approval: 'manual' }],
    });
    await snapshotMatchesLive(op.id, 'awaiting_approval');
    await deleteStatusSnapshot(stack.db, op.id);
    for (const api of [stack.api, replica]) {
      const s = await get(api, op.id);
      assert.equal(s.source, 'query');
      assert.equal(s.state, 'awaiting_approval');
      assert.deepEqual(s.pendingApproval, { wave: 1 });
      assert.equal(s.counts.pending, 2);
    }
    // The next change writes it again.
    assert.equal((await act(stack.api, op.id, 'cancel', TOKENS.operator)).status, 200);
    const cancelled = await snapshotMatchesLive(op.id, 'cancelled');
    assert.equal(cancelled.counts.skipped, 2);
  });

  test('when a workflow with a snapshot is terminated from outside, then status says it ended', async () => {
    const ids = await seedFleet(stack, 1);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', selector: { ids }, approval: 'manual' }],
    });
    await snapshotMatchesLive(op.id, 'awaiting_approval');
    await stack.api.client.workflow.getHandle(op.id).terminate('test');
    for (const api of [stack.api, replica]) {
      const s = await waitForStatus({ api }, op.id, (x) => x.workflowStatus === 'TERMINATED');
      assert.equal(s.state, 'cancelled');
      assert.equal(s.source, 'snapshot');
    }
  });
});
