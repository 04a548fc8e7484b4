// A wave carried by lanes: each lane pages its share of the plan with its share of maxParallel and
// continues as new on its own; the wave relays the controls and shares the failure budget. The dev server
// suggests continue-as-new after 200 events (scripts/test.ts), so small fleets reach it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { waveWorkflowId } from '../../domain/ids';
import type { Limits } from '../../domain/operation';
import { pauseSignal, resumeSignal, setMaxParallelUpdate } from '../../workflows/messages';
import { addUp, laneCount, laneShare } from '../../workflows/wave-lanes';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE } from './harness';
import { inputsOfRuns } from './run-inputs';
import { laneOf } from './stubs';

const env = workflowTestEnv();

function lanes(waveLanes: number): Limits {
  return { applyTimeoutSeconds: 60, leaseCheckSeconds: 30, waveLanes };
}

function laneId(operationId: string, lane: number): string {
  return `${waveWorkflowId(operationId, 1)}/lane-${lane}`;
}

/** How many times a lane workflow received `signalName`, over all its runs. */
async function received(client: Client, workflowId: string, signalName: string): Promise<number> {
  let n = 0;
  for (const runId of await env.runsOf(workflowId)) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    for (const event of history.events ?? []) {
      if (event.workflowExecutionSignaledEventAttributes?.signalName === signalName) n++;
    }
  }
  return n;
}

describe('wave lanes', SIDE_BY_SIDE, () => {
  test('when a wave runs in two lanes, then each pages its own share, each cluster runs once, never more than maxParallel at once, and each lane continues as new on its own', async () => {
    const ids = clusters('l', 80);
    // Applies of 10 to 100 ms: the clusters in flight are at different steps when a lane hands over.
    const applyMsOf = Object.fromEntries(ids.map((id, i) => [id, 10 + ((i * 37) % 10) * 10]));
    await env.run(
      { waves: [{ clusters: ids, maxParallel: 10 }], limits: lanes(2), stubs: { applyMsOf } },
      async (op) => {
        const done = await op.result(120_000);
        assert.equal(done.state, 'completed');
        assert.equal(done.waves[0]!.state, 'completed');
        assert.equal(done.waves[0]!.runs, 1, 'lanes are not new runs of the wave');
        const applied = op.stubs.appliedIds();
        assert.equal(applied.length, ids.length, 'a cluster was applied twice or lost');
        assert.deepEqual([...new Set(applied)].sort(), ids);
        for (const name of ['selectCluster', 'monitorCluster'] as const) {
          assert.equal(op.stubs.callsOf(name).length, ids.length, `a cluster went through ${name} twice`);
        }
        assert.ok(op.stubs.mostAppliesAtOnce(1) <= 10, `${op.stubs.mostAppliesAtOnce(1)} ran at once`);
        // Each lane paged only its own share of the plan.
        for (const page of op.stubs.callsOf('loadWaveClusters')) {
          assert.ok(page.lane, 'a page was read without its lane');
        }
        for (const lane of [1, 2]) {
          const runs = await env.runsOf(laneId(op.id, lane));
          assert.ok(runs.length >= 2, `lane ${lane} ran in ${runs.length} run(s)`);
          const [first] = await inputsOfRuns(op.client, laneId(op.id, lane), runs.slice(0, 1));
          assert.deepEqual(first!.lane, { index: lane - 1, count: 2 });
          assert.equal(first!.maxParallel, 5);
        }
      },
    );
  });

  test('when the failures of two lanes together spend the wave budget, then both lanes stop, and a resume runs the rest once', async () => {
    const ids = clusters('f', 40);
    const laneA = ids.filter((id) => laneOf(id, 2) === 0);
    const laneB = ids.filter((id) => laneOf(id, 2) === 1);
    // Two failures in each lane: neither spends a budget of 3 alone, the wave's four do.
    const failing = [...laneA.slice(0, 2), ...laneB.slice(0, 2)];
    const applyMsOf = Object.fromEntries(ids.map((id) => [id, failing.includes(id) ? 5 : 150]));
    await env.run(
      {
        waves: [{ clusters: ids, maxParallel: 2, maxFailures: 3 }],
        limits: lanes(2),
        stubs: { applyMsOf, failApply: failing },
      },
      async (op) => {
        const stopped = await op.waitForStatus((s) => s.state === 'paused', 'the budget stop', 60_000);
        assert.equal(stopped.pauseReason, 'failure_budget_exceeded');
        assert.equal(stopped.waves[0]!.state, 'stopped');
        assert.equal(stopped.failuresTotal, 4);
        const before = op.stubs.appliedIds();
        assert.ok(before.length < ids.length, 'a lane went on after the wave budget was spent');

        await op.handle.signal(resumeSignal, { by: 'dave' });
        const done = await op.result(60_000);
        assert.equal(done.state, 'completed');
        const applied = op.stubs.appliedIds();
        assert.equal(applied.length, ids.length, 'a cluster was applied twice or lost');
        assert.deepEqual([...new Set(applied)].sort(), ids);
        assert.equal(done.waves[0]!.runs, 2);
      },
    );
  });

  test('when the operation is paused and its maxParallel changed, then every lane pauses, takes its share and resumes', async () => {
    const ids = clusters('p', 30);
    await env.run(
      { waves: [{ clusters: ids, maxParallel: 4 }], limits: lanes(2), stubs: { holdApplies: true } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 4, 'four applies in flight');
        await op.handle.signal(pauseSignal, { by: 'dave' });
        await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 6, by: 'dave' }] });
        for (const lane of [1, 2]) {
          await eventually(
            async () => (await received(op.client, laneId(op.id, lane), 'waveSetMaxParallel')) === 1,
            `lane ${lane} told its share`,
          );
          assert.equal(await received(op.client, laneId(op.id, lane), 'wavePause'), 1);
        }
        op.stubs.applies.open();
        await eventually(() => op.stubs.outcomes().size === 4, 'the clusters in flight to finish');
        await sleep(500);
        assert.equal(op.stubs.appliedIds().length, 4, 'an apply started while paused');

        op.stubs.applies.hold();
        await op.handle.signal(resumeSignal, { by: 'dave' });
        await eventually(() => op.stubs.applies.keys.length === 6, 'six applies in flight: three per lane');
        op.stubs.applies.open();
        const done = await op.result(60_000);
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds().sort(), ids);
        assert.ok(op.stubs.mostAppliesAtOnce(1) <= 6);
      },
    );
  });
});

describe('wave lanes, pure', () => {
  test('lanes split maxParallel so that the shares add up, and only a fresh paging wave runs in lanes', () => {
    assert.deepEqual(
      [0, 1, 2].map((i) => laneShare(7, i, 3)),
      [3, 2, 2],
    );
    assert.deepEqual(
      [0, 1].map((i) => laneShare(1, i, 2)),
      [1, 0],
    );
    const base = {
      operationId: 'op',
      wave: {
        number: 1,
        name: 'w',
        size: 10,
        maxParallel: 4,
        maxFailures: 0,
        bakeSeconds: 0,
        approval: 'none' as const,
      },
      action: { type: 'restart' as const },
      monitor: { timeoutSeconds: 1, intervalSeconds: 1, stableChecks: 1 },
      rollbackOnFailure: false,
      maxParallel: 4,
      maxFailures: 0,
      totalFailuresLeft: null,
      paused: false,
      skip: [],
    };
    assert.equal(laneCount({ ...base, lanes: 2 }), 2);
    assert.equal(laneCount({ ...base, lanes: 8 }), 4, 'never more lanes than slots');
    assert.equal(laneCount(base), 1);
    assert.equal(laneCount({ ...base, lanes: 2, onlyClusters: [] }), 1, 'a rerun of named clusters');
    assert.equal(laneCount({ ...base, lanes: 2, lane: { index: 0, count: 2 } }), 1, 'a lane');
  });

  test('the wave adds up its lanes: counts, the gravest outcome, what never started and the earliest cursor', () => {
    const lane = (outcome: 'completed' | 'budget_exceeded', resumeAfter?: string) => ({
      outcome,
      succeeded: 2,
      failed: 1,
      skipped: 0,
      notStarted: [{ clusterId: `n-${resumeAfter ?? 'none'}`, attempt: 1 }],
      ...(resumeAfter ? { resumeAfter } : {}),
    });
    assert.deepEqual(addUp([lane('completed'), lane('budget_exceeded', 'c-5'), lane('budget_exceeded', 'c-2')]), {
      outcome: 'budget_exceeded',
      succeeded: 6,
      failed: 3,
      skipped: 0,
      notStarted: [
        { clusterId: 'n-none', attempt: 1 },
        { clusterId: 'n-c-5', attempt: 1 },
        { clusterId: 'n-c-2', attempt: 1 },
      ],
      resumeAfter: 'c-2',
    });
  });
});
