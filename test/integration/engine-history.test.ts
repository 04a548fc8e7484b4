// What the Web UI shows (search attributes kept current) and replay safety: recorded histories of
// every workflow shape must replay on today's workflow code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { after, before, describe, test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import { startDemoSignals } from '../../scripts/lib/demo-signals';
import { approveWaveSignal } from '../../workflows/messages';
import { call, TOKENS } from '../helpers/api';
import { waveInputOf } from '../workflows/run-inputs';
import {
  FAST_MONITOR,
  runsOf,
  seedFleet,
  startEngine,
  startOperation,
  waitForState,
  waitForStatus,
  type EngineStack,
} from '../helpers/engine';

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

type Run = { runId: string; history: History };

/**
 * Every run of a workflow id, oldest first: each continue-as-new run and each new execution (a wave is
 * started again after a budget pause), as visibility lists them, each fetched by run id. Visibility lags a
 * little, so it is read until it holds the latest run and every run a listed one continued from.
 */
async function allRuns(workflowId: string): Promise<Run[]> {
  const latest = (await stack.api.client.workflow.getHandle(workflowId).describe()).runId;
  let runs: Run[] = [];
  await until(async () => {
    const listed: { runId: string; startTime: Date }[] = [];
    for await (const wf of stack.api.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(wf);
    if (!listed.some((r) => r.runId === latest)) return false;
    listed.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
    runs = await Promise.all(
      listed.map(async ({ runId }) => ({
        runId,
        history: await stack.api.client.workflow.getHandle(workflowId, runId).fetchHistory(),
      })),
    );
    const continuedFrom = (r: Run) =>
      r.history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    return runs.every((r) => !continuedFrom(r) || runs.some((p) => p.runId === continuedFrom(r)));
  }, `every run of ${workflowId} in visibility`);
  return runs;
}

/**
 * Replays every run of the operation and of the given waves; with FLEETWAVE_RECORD_HISTORIES=1 also stores
 * them as `operation-<shape>[-run-<k>].json` and `wave-<n>-<shape>[-run-<k>].json` (FLEETWAVE_HISTORY_TAG,
 * when set, is appended to the shape). A file that exists is never rewritten: it is the record of older code.
 */
async function replayAndRecord(
  operationId: string,
  waves: number[],
  shape: string,
  lanes = 0,
): Promise<{ failures: string[]; runs: Map<string, number> }> {
  const tag = process.env.FLEETWAVE_HISTORY_TAG ? `-${process.env.FLEETWAVE_HISTORY_TAG}` : '';
  const laneTargets = (n: number) =>
    Array.from({ length: lanes }, (_, k) => ({
      workflowId: `${waveWorkflowId(operationId, n)}/lane-${k + 1}`,
      name: `wave-${n}-lane-${k + 1}-${shape}${tag}`,
    }));
  const targets = [
    { workflowId: operationId, name: `operation-${shape}${tag}` },
    ...waves.flatMap((n) => [
      { workflowId: waveWorkflowId(operationId, n), name: `wave-${n}-${shape}${tag}` },
      ...laneTargets(n),
    ]),
  ];
  const runs = new Map<string, number>();
  const histories: { name: string; history: unknown }[] = [];
  for (const target of targets) {
    const all = await allRuns(target.workflowId);
    runs.set(target.workflowId, all.length);
    all.forEach((run, k) =>
      histories.push({
        name: all.length === 1 ? target.name : `${target.name}-run-${k + 1}`,
        history: JSON.parse(historyToJSON(run.history)) as unknown,
      }),
    );
  }
  if (process.env.FLEETWAVE_RECORD_HISTORIES) {
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const h of histories) {
      try {
        fs.writeFileSync(path.join(FIXTURES, `${h.name}.json`), JSON.stringify(h.history), { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
  return { failures: await replay(histories.map((h) => ({ workflowId: h.name, history: h.history }))), runs };
}

describe('an operation in the Web UI and in replay', () => {
  test('when it waits, pauses and completes, then FleetState follows and its histories replay', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({ environment: i === 0 ? 'internal' : 'customer' }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [
        { name: 'internal', selector: { environment: 'internal' } },
        { name: 'customers', approval: 'manual', maxParallel: 2 },
      ],
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

    assert.deepEqual((await replayAndRecord(op.id, [1, 2], 'approval-pause')).failures, []);
  });

  test('when a wave stops on its budget and a fixed cluster is retried, then its histories replay', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({
      adapter: { type: 'simulated', config: { applyMs: 20, failApply: i === 0 } },
    }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForState(stack, op.id, 'paused');
    await call(stack.api.url, 'PATCH', `/v1/clusters/${ids[0]}`, {
      body: { adapter: { type: 'simulated', config: {} } },
    });
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`);
    await waitForState(stack, op.id, 'completed');
    assert.deepEqual((await replayAndRecord(op.id, [1], 'budget-retry')).failures, []);
  });

  test('when an operation is cancelled mid-wave, then its histories replay', async () => {
    const ids = await seedFleet(stack, 4, () => ({ adapter: { type: 'simulated', config: { applyMs: 400 } } }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForState(stack, op.id, 'running');
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
    assert.deepEqual((await replayAndRecord(op.id, [1], 'cancel')).failures, []);
  });

  test('when a failed cluster is fixed and retried while its wave still runs, then its histories replay', async () => {
    const ids = await seedFleet(stack, 4, (i) => ({
      adapter: { type: 'simulated', config: i === 0 ? { applyMs: 20, failApply: true } : { applyMs: 1000 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1, maxFailures: 1 },
    });
    await waitForStatus(stack, op.id, (s) => s.counts.failed === 1);
    await call(stack.api.url, 'PATCH', `/v1/clusters/${ids[0]}`, {
      body: { adapter: { type: 'simulated', config: {} } },
    });
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`)).status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.failed], [4, 0]);
    // The operation's history holds the 'requeue-run-on-retry' marker: the patched branch is pinned too.
    assert.deepEqual((await replayAndRecord(op.id, [1], 'retry-running')).failures, []);
  });

  test('when a wave outgrows its history and continues as new, handing its clusters in flight over, then every run of it replays', async () => {
    // Applies of 10 to 100 ms: the clusters in flight are at different steps when the run hands them over.
    const ids = await seedFleet(stack, 30, (i) => ({
      adapter: { type: 'simulated', config: { applyMs: 10 + ((i * 37) % 10) * 10 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 5 },
    });
    const done = await waitForState(stack, op.id, 'completed', 90_000);
    assert.equal(done.counts.succeeded, 30);
    const { failures, runs } = await replayAndRecord(op.id, [1], 'hand-over');
    const handedOver = (await allRuns(waveWorkflowId(op.id, 1))).flatMap(
      ({ history }) => waveInputOf(history).carried?.handedOver ?? [],
    );
    assert.ok(handedOver.length > 0, 'no run of the wave handed a cluster over');
    assert.ok(
      runs.get(waveWorkflowId(op.id, 1))! >= 2,
      `expected the wave to continue as new, saw ${runs.get(waveWorkflowId(op.id, 1))} run(s)`,
    );
    assert.deepEqual(failures, []);
  });

  test('when a wave runs in two lanes, each continuing as new on its own, then the wave and every run of its lanes replay', async () => {
    const ids = await seedFleet(stack, 70, (i) => ({
      adapter: { type: 'simulated', config: { applyMs: 10 + ((i * 37) % 10) * 10 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 6 },
      limits: { waveLanes: 2 },
    });
    const done = await waitForState(stack, op.id, 'completed', 120_000);
    assert.equal(done.counts.succeeded, 70);
    const { failures, runs } = await replayAndRecord(op.id, [1], 'lanes', 2);
    for (const lane of [1, 2]) {
      const laneRuns = runs.get(`${waveWorkflowId(op.id, 1)}/lane-${lane}`)!;
      assert.ok(laneRuns >= 2, `expected lane ${lane} to continue as new, saw ${laneRuns} run(s)`);
    }
    assert.deepEqual(failures, []);
  });

  test('when an operation of many small waves continues as new between waves, then every run of it replays', async () => {
    const ids = await seedFleet(stack, 24, () => ({ adapter: { type: 'simulated', config: { applyMs: 0 } } }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: ids.map((id, i) => ({ name: `w${i + 1}`, selector: { ids: [id] } })),
    });
    const done = await waitForState(stack, op.id, 'completed', 120_000);
    assert.equal(done.counts.succeeded, 24);
    // The first wave and the last, started by a continued run of the parent.
    const { failures, runs } = await replayAndRecord(op.id, [1, 24], 'many-waves');
    assert.ok(runs.get(op.id)! >= 2, `expected the operation to continue as new, saw ${runs.get(op.id)} run(s)`);
    assert.deepEqual(failures, []);
  });

  test('when clusters fail and are rolled back (one rollback failing too), then its histories replay', async () => {
    const sim = (config: Record<string, unknown>) => ({
      adapter: { type: 'simulated', config: { applyMs: 20, ...config } },
    });
    const configs = [{ unhealthy: true }, { failApply: true }, { unhealthy: true, failRollback: true }, {}];
    const ids = await seedFleet(stack, configs.length, (i) => sim(configs[i]!));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 4, maxFailures: 3 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1 },
      rollbackOnFailure: true,
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.rolled_back, done.counts.failed], [1, 2, 1]);
    assert.deepEqual((await replayAndRecord(op.id, [1], 'rollback')).failures, []);
  });

  test("when a wave spends its budget with onFailure abort, then the failed operation's histories replay", async () => {
    const ids = await seedFleet(stack, 3, (i) => ({
      adapter: { type: 'simulated', config: { applyMs: 20, failApply: i === 0 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
      onFailure: 'abort',
    });
    const failed = await waitForState(stack, op.id, 'failed');
    assert.equal(failed.counts.failed, 1);
    assert.deepEqual((await replayAndRecord(op.id, [1], 'abort')).failures, []);
  });

  test('when a cluster waits for its maintenance window and the operation is cancelled, then its histories replay', async () => {
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const notToday = days[(new Date().getUTCDay() + 2) % 7];
    const ids = await seedFleet(stack, 2, (i) => ({
      maintenanceWindows: i === 0 ? [{ days: [notToday], start: '02:00', end: '03:00' }] : [],
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2 },
    });
    await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1 && s.counts.succeeded === 1);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    const cancelled = await waitForState(stack, op.id, 'cancelled');
    assert.equal(cancelled.counts.skipped, 1);
    assert.deepEqual((await replayAndRecord(op.id, [1], 'window-cancel')).failures, []);
  });

  test('when clusters miss their deadline, drift, fail a health rule or report the wrong version, then its histories replay', async () => {
    const sim = (config: Record<string, unknown>) => ({
      adapter: { type: 'simulated', config: { applyMs: 20, metrics: { consumerLag: 0 }, ...config } },
    });
    const configs = [{ failApplyTimes: 1000 }, {}, { metrics: { consumerLag: 500 } }, { reportVersion: '3.6.9' }, {}];
    const ids = await seedFleet(stack, configs.length, (i) => ({ version: '3.6.0', ...sim(configs[i]!) }));
    // The control plane says cluster 1 already runs 3.6.5: drift the select step must notice.
    await stack.db.query(
      `INSERT INTO sim_clusters (cluster_id, version) VALUES ($1, '3.6.5')
       ON CONFLICT (cluster_id) DO UPDATE SET version = EXCLUDED.version`,
      [ids[1]],
    );
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 5, maxFailures: 5 },
      limits: { applyTimeoutSeconds: 2 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1, require: [{ metric: 'consumerLag', op: '<=', value: 100 }] },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.failed], [2, 3]);
    const drift = await stack.db.query(
      `SELECT payload FROM audit_events WHERE action = 'cluster.drift' AND target_id = $1`,
      [ids[1]],
    );
    assert.deepEqual(drift.rows[0]?.payload, { inventory: '3.6.0', reported: '3.6.5' });
    const errors = (await runsOf(stack.db, op.id)).map((r) => r.error ?? '');
    assert.match(errors[0]!, /^deadline_exceeded: apply/);
    assert.match(errors[2]!, /^health_rule_failed: consumerLag <= 100 \(was 500\)/);
    assert.match(errors[3]!, /^version_mismatch: reported 3.6.9, expected 3.7.1/);
    assert.deepEqual((await replayAndRecord(op.id, [1], 'verified-outcomes')).failures, []);
  });

  test('when an alarm pauses an operation and it is resumed once the alarm clears, then its histories replay', async () => {
    const signals = await startDemoSignals();
    try {
      signals.setAlarm('slo', { firing: false });
      const ids = await seedFleet(stack, 4, () => ({ adapter: { type: 'simulated', config: { applyMs: 1000 } } }));
      const op = await startOperation(stack, {
        action: { type: 'restart' },
        selector: { ids },
        defaults: { maxParallel: 1 },
        alarms: [{ name: 'slo', type: 'http', url: `${signals.url}/alarms/slo` }],
        alarmIntervalSeconds: 0.3,
      });
      await waitForStatus(stack, op.id, (s) => s.counts.succeeded >= 1);
      signals.setAlarm('slo', { firing: true, message: 'error budget burning' });
      const paused = await waitForState(stack, op.id, 'paused');
      assert.equal(paused.pauseReason, 'alarm:slo');
      signals.setAlarm('slo', { firing: false });
      await waitForStatus(stack, op.id, (s) => s.alarms[0].firing === false);
      const resumed = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`, { token: TOKENS.operator });
      assert.equal(resumed.status, 200);
      await waitForState(stack, op.id, 'completed');
      assert.deepEqual((await replayAndRecord(op.id, [1], 'alarm-resume')).failures, []);
    } finally {
      await signals.close();
    }
  });

  test('when maxParallel is raised by an update mid-wave, then its histories replay', async () => {
    const ids = await seedFleet(stack, 6, () => ({ adapter: { type: 'simulated', config: { applyMs: 300 } } }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length > 0);
    const patch = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, { body: { maxParallel: 3 } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 6);
    assert.deepEqual((await replayAndRecord(op.id, [1], 'set-max-parallel')).failures, []);
  });

  test('when a direct approval is refused then accepted, and clusters are retried and skipped by REST, then its histories replay', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({
      // The second cluster is slow enough that the skip, the fix and the retry below all land while it runs,
      // even on a busy machine: once it ends, the wave is done and the operation takes no more actions.
      adapter: { type: 'simulated', config: i === 0 ? { applyMs: 20, failApply: true } : { applyMs: 4000 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', approval: 'manual', maxParallel: 1, maxFailures: 1 }],
    });
    const waiting = await waitForState(stack, op.id, 'awaiting_approval');
    // Signals as the Web UI or the temporal CLI sends them: the starter is refused (four-eyes), carol is not.
    const handle = stack.api.client.workflow.getHandle(op.id);
    await handle.signal(approveWaveSignal, { wave: 1, by: waiting.startedBy });
    await until(
      async () =>
        (
          await stack.db.query(
            `SELECT 1 FROM audit_events WHERE operation_id = $1 AND payload->>'reason' = 'self_approval_forbidden'`,
            [op.id],
          )
        ).rowCount === 1,
      'the refused approval in the audit trail',
    );
    await handle.signal(approveWaveSignal, { wave: 1, by: 'carol', comment: 'go' });
    await waitForStatus(stack, op.id, (s) => s.counts.failed === 1 && s.inFlight.length === 1);
    const skip = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[2]}/skip`);
    assert.equal(skip.status, 200, JSON.stringify(skip.body));
    await call(stack.api.url, 'PATCH', `/v1/clusters/${ids[0]}`, {
      body: { adapter: { type: 'simulated', config: {} } },
    });
    const retry = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.skipped, done.counts.failed], [2, 1, 0]);
    // The operation's history holds the 'governed-operator-actions' marker: the governed handlers are pinned.
    assert.deepEqual((await replayAndRecord(op.id, [1], 'governed-actions')).failures, []);
  });

  test("when recorded histories of earlier code are replayed, then today's workflows make the same decisions", async () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'no recorded histories in test/fixtures/histories');
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as unknown,
    }));
    assert.deepEqual(await replay(histories), []);
  });
});
