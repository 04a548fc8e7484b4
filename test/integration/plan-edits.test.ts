// Live plan edits end to end over real HTTP, with a real worker, Temporal and PostgreSQL: each edit is
// applied and visible in the status, the runs and the audit trail; each refusal is a 4xx with its reason
// and leaves no event in the workflow's history; a moved cluster and an appended wave run where the edit
// put them; an edit sent with the temporal CLI is audited as such.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { moveRun } from '../../db/plan-edits';
import { resolveTemporalCli } from '../../scripts/lib/temporal';
import { call, TOKENS } from '../helpers/api';
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

const cli = resolveTemporalCli(() => undefined);
const noCli = cli ? false : 'no Temporal CLI binary (TEMPORAL_CLI, PATH or the cache)';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

const sim = (config: Record<string, unknown>) => ({ adapter: { type: 'simulated', config } });
const token = TOKENS.operator;
const patch = (id: string, body: unknown) => call(stack.api.url, 'PATCH', `/v1/operations/${id}`, { body, token });
const move = (id: string, clusterId: string, body: unknown) =>
  call(stack.api.url, 'POST', `/v1/operations/${id}/clusters/${clusterId}/move`, { body, token });
const append = (id: string, body: unknown) =>
  call(stack.api.url, 'POST', `/v1/operations/${id}/waves`, { body, token });
const approve = (id: string, wave: number) =>
  call(stack.api.url, 'POST', `/v1/operations/${id}/approve`, { token: TOKENS.approver, body: { wave } });

function assertRefused(res: { status: number; body: any }, status: number, reason: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.code, reason, JSON.stringify(res.body));
}

/** The operation's audit events of one action, oldest first. */
async function events(id: string, action: string): Promise<any[]> {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${id}/events?limit=1000`, { token: TOKENS.viewer });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events.filter((event: any) => event.action === action);
}

const EDIT_UPDATES = ['editWave', 'moveCluster', 'appendWave'];

/** The plan-edit updates the operation's history accepted, in order: a refused update leaves none. */
async function acceptedUpdates(id: string): Promise<string[]> {
  const history = await stack.api.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
    .filter((name): name is string => typeof name === 'string' && EDIT_UPDATES.includes(name));
}

/** A fleet of `count` clusters sharing a label of their own, so an operation's selector can name them all. */
async function labelledFleet(count: number, config: (i: number) => Record<string, unknown> = () => ({})) {
  const label = uid('pe');
  const ids = await seedFleet(stack, count, (i) => ({
    labels: { edits: label },
    ...sim({ applyMs: 50, ...config(i) }),
  }));
  return { label, ids };
}

describe('live plan edits over REST', () => {
  test('when maxFailures and the bake are raised mid-wave, then the running wave keeps going, status shows the knobs and the edit is audited', async () => {
    // The first cluster takes its time, so the edit lands before the two failures that follow it.
    const { ids } = await labelledFleet(4, (i) => (i === 0 ? { applyMs: 1500 } : { failApply: i < 3 }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'first', selector: { ids: ids.slice(0, 3) } }, { name: 'second' }],
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length > 0);
    const res = await patch(op.id, { maxFailures: 2, bakeSeconds: 0.5 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { id: op.id, maxFailures: 2, bakeSeconds: 0.5, waves: [1, 2] });
    const now = await status(stack, op.id);
    assert.deepEqual(
      now.waves.map((w: any) => [w.maxFailures, w.bakeSeconds]),
      [
        [2, 0.5],
        [2, 0.5],
      ],
    );
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.failed, done.counts.succeeded], [2, 2], 'two failures within the raised budget');
    const [edit] = await events(op.id, 'operation.edit');
    assert.equal(edit.identity, 'olga');
    assert.equal(edit.role, 'operator');
    assert.equal(edit.payload.via, 'api');
    assert.equal(edit.payload.outcome, 'applied');
    assert.deepEqual(edit.payload.waves, [1, 2]);
    assert.equal(edit.payload.maxFailures, 2);
  });

  test('when a pending cluster moves to a later wave, then status, runs and audit show it there and that wave runs it', async () => {
    const { ids } = await labelledFleet(4);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'first', selector: { ids: ids.slice(0, 2) }, approval: 'manual' }, { name: 'last' }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const res = await move(op.id, ids[0]!, { toWave: 2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.editResult, {
      name: 'move',
      editId: res.body.editResult.editId,
      clusterId: ids[0],
      fromWave: 1,
      toWave: 2,
      message: `cluster '${ids[0]}' moved from wave 1 to wave 2`,
    });
    assert.deepEqual(res.body.plan.waves[0].clusterIds, [ids[1]]);
    assert.deepEqual(res.body.plan.waves[1].clusterIds, [ids[0], ids[2], ids[3]]);
    assert.equal(res.body.plan.revision, 1);
    assert.deepEqual(
      res.body.waves.map((w: any) => [w.size, w.counts.pending]),
      [
        [1, 1],
        [3, 3],
      ],
    );
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters?wave=2`);
    assert.deepEqual(
      runs.body.runs.map((r: any) => r.clusterId),
      [ids[0], ids[2], ids[3]],
    );
    const [moved] = await events(op.id, 'cluster.move');
    assert.equal(moved.targetId, ids[0]);
    assert.equal(moved.identity, 'olga');
    assert.deepEqual([moved.payload.fromWave, moved.payload.toWave, moved.payload.via], [1, 2, 'api']);

    assert.equal((await approve(op.id, 1)).status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 4);
    const first = (await runsOf(stack.db, op.id)).find((r) => r.cluster_id === ids[0])!;
    assert.deepEqual([first.wave, first.state], [2, 'succeeded']);
    assert.deepEqual(await acceptedUpdates(op.id), ['moveCluster']);
  });

  test('when a wave is appended, then it runs after the others with its own knobs, and status, runs and audit show it', async () => {
    const { label, ids } = await labelledFleet(2);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { labels: { edits: label } },
      waves: [{ name: 'first', approval: 'manual' }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const late = await seedFleet(stack, 3, () => ({ labels: { edits: label }, ...sim({ applyMs: 200 }) }));
    const res = await append(op.id, { name: 'late', selector: {}, maxParallel: 3, bakeSeconds: 0 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.editResult.wave, {
      number: 2,
      name: 'late',
      size: 3,
      maxParallel: 3,
      maxFailures: 0,
      bakeSeconds: 0,
      approval: 'none',
    });
    assert.deepEqual(res.body.plan.waves[1].clusterIds, late);
    assert.equal(res.body.plan.total, 5);
    assert.deepEqual(
      res.body.waves.map((w: any) => [w.name, w.size, w.state]),
      [
        ['first', 2, 'awaiting_approval'],
        ['late', 3, 'pending'],
      ],
    );
    const [appended] = await events(op.id, 'wave.append');
    assert.deepEqual([appended.identity, appended.payload.via, appended.payload.wave.size], ['olga', 'api', 3]);
    const staged = await stack.db.query('SELECT 1 FROM plan_edits WHERE operation_id = $1', [op.id]);
    assert.equal(staged.rowCount, 0, 'the staged clusters are gone once appended');

    assertRefused(await append(op.id, { name: 'late', selector: {} }), 409, 'empty_wave');
    const more = await seedFleet(stack, 1, () => ({ labels: { edits: label } }));
    assertRefused(await append(op.id, { name: 'late', selector: { ids: more } }), 409, 'wave_name_taken');
    const left = await stack.db.query('SELECT 1 FROM plan_edits WHERE operation_id = $1', [op.id]);
    assert.equal(left.rowCount, 0, 'a refused append leaves no staged clusters');

    assert.equal((await approve(op.id, 1)).status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 5);
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters?wave=2`);
    assert.deepEqual(
      runs.body.runs.map((r: any) => [r.clusterId, r.state]),
      late.map((id) => [id, 'succeeded']),
    );
    assert.ok(!ids.some((id) => late.includes(id)));
    assert.deepEqual(await acceptedUpdates(op.id), ['appendWave']);
  });

  test('when an edit is invalid, then it answers its reason and the workflow history holds no trace of it', async () => {
    const { ids } = await labelledFleet(4, () => ({ applyMs: 100 }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [
        { name: 'first', selector: { ids: [ids[0]!] } },
        { name: 'second', selector: { ids: [ids[1]!] }, approval: 'manual' },
        { name: 'third' },
      ],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    assertRefused(await move(op.id, ids[2]!, { toWave: 9 }), 409, 'unknown_wave');
    assertRefused(await move(op.id, ids[2]!, { toWave: 1 }), 409, 'wave_started');
    assertRefused(await move(op.id, ids[2]!, { toWave: 2 }), 409, 'not_later_wave');
    assertRefused(await move(op.id, ids[0]!, { toWave: 3 }), 409, 'not_pending');
    assertRefused(await move(op.id, 'no-such-cluster', { toWave: 3 }), 404, 'cluster_not_found');
    assertRefused(await patch(op.id, { wave: 1, maxParallel: 2 }), 409, 'wave_finished');
    assertRefused(await patch(op.id, {}), 400, 'validation_failed');
    assertRefused(await append(op.id, { name: 'third', selector: {} }), 409, 'empty_wave');
    assert.deepEqual(await acceptedUpdates(op.id), [], 'a refused edit reached the workflow history');
    const audited = await stack.db.query(
      `SELECT action FROM audit_events WHERE operation_id = $1 AND action IN ('operation.edit', 'cluster.move', 'wave.append')`,
      [op.id],
    );
    assert.equal(audited.rowCount, 0, 'a refused edit was audited');

    assert.equal((await approve(op.id, 2)).status, 200);
    await waitForState(stack, op.id, 'completed');
    assertRefused(await patch(op.id, { maxFailures: 1 }), 409, 'operation_finished');
    assertRefused(await move(op.id, ids[3]!, { toWave: 3 }), 409, 'operation_finished');
    assertRefused(await append(op.id, { name: 'after', selector: {} }), 409, 'operation_finished');
  });

  test('when a plan write is retried after a crash, then it is written once and answers the same', async () => {
    const { ids } = await labelledFleet(3);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'first', selector: { ids: ids.slice(0, 2) }, approval: 'manual' }, { name: 'last' }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const edit = { editKey: uid('edit'), operationId: op.id, by: 'script', role: 'temporal', via: 'temporal' as const };
    const first = await moveRun(stack.db, { ...edit, clusterId: ids[0]!, toWave: 2 });
    const again = await moveRun(stack.db, { ...edit, clusterId: ids[0]!, toWave: 2 });
    assert.deepEqual(again, first);
    assert.equal(first.outcome, 'applied');
    const plan = await stack.db.query<{ plan: any }>('SELECT plan FROM operations WHERE id = $1', [op.id]);
    assert.equal(plan.rows[0]!.plan.revision, 1, 'the plan was written once');
    assert.equal((await events(op.id, 'cluster.move')).length, 1);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
  });
});

describe('live plan edits sent with the temporal CLI', { skip: noCli }, () => {
  test('when editWave is sent with `temporal workflow update execute`, then it applies, is audited as temporal, and a refused one leaves no trace', async () => {
    const { ids } = await labelledFleet(2);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'first', approval: 'manual' }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const update = (input: unknown) =>
      promisify(execFile)(cli!.path, [
        'workflow',
        'update',
        'execute',
        '--address',
        testEnv().temporalAddress,
        '--namespace',
        'default',
        '--workflow-id',
        op.id,
        '--name',
        'editWave',
        '--input',
        JSON.stringify(input),
      ]);
    const applied = await update({ by: 'carol', wave: 1, maxParallel: 2, maxFailures: 1 });
    assert.match(applied.stdout, /maxFailures:1/);
    await assert.rejects(update({ by: 'carol', wave: 7, maxFailures: 1 }), /unknown_wave|no wave 7/);
    const now = await status(stack, op.id);
    assert.deepEqual([now.waves[0].maxParallel, now.waves[0].maxFailures], [2, 1]);
    const [edit] = await events(op.id, 'operation.edit');
    assert.deepEqual(
      [edit.identity, edit.role, edit.payload.via, edit.payload.wave],
      ['carol', 'temporal', 'temporal', 1],
    );
    assert.deepEqual(await acceptedUpdates(op.id), ['editWave']);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
  });
});

describe('live plan edits with the fleetwave CLI', () => {
  const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.js');

  /** `fleetwave …` as an operator, with its exit code and output. */
  async function fleetwave(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, FLEETWAVE_URL: stack.api.url, FLEETWAVE_TOKEN: TOKENS.operator };
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  test('when edit, move and add-wave are run, then each prints what the workflow did and a refusal exits 3', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fleetwave-edits-'));
    try {
      const { label, ids } = await labelledFleet(2);
      const op = await startOperation(stack, {
        action: { type: 'restart' },
        selector: { labels: { edits: label } },
        waves: [{ name: 'first', selector: { ids: [ids[0]!] }, approval: 'manual' }, { name: 'last' }],
      });
      await waitForState(stack, op.id, 'awaiting_approval');

      const edit = await fleetwave(['operations', 'edit', op.id, '--wave', '2', '--max-failures', '1', '--bake', '5']);
      assert.equal(edit.code, 0, edit.stderr);
      assert.equal(edit.stdout.trim(), `${op.id}: maxFailures 1, bakeSeconds 5 for wave 2`);
      const nothing = await fleetwave(['edit', op.id]);
      assert.equal(nothing.code, 2, 'checked before anything is sent');
      assert.match(nothing.stderr, /nothing to change/);

      const moved = await fleetwave(['operations', 'move', op.id, ids[0]!, '--to-wave', '2']);
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal(moved.stdout.split('\n')[0], `cluster '${ids[0]}' moved from wave 1 to wave 2`);
      const back = await fleetwave(['move', op.id, ids[1]!, '--to-wave', '1']);
      assert.equal(back.code, 3, back.stderr);
      assert.match(back.stderr, /^error: not_later_wave: /m);

      const [late] = await seedFleet(stack, 1, () => ({ labels: { edits: label } }));
      const file = path.join(dir, 'late.yaml');
      await writeFile(file, `name: late\nselector: { ids: [${late}] }\nmaxParallel: 2\n`);
      const added = await fleetwave(['operations', 'add-wave', op.id, '--file', file, '-o', 'json']);
      assert.equal(added.code, 0, added.stderr);
      const answer = JSON.parse(added.stdout);
      assert.deepEqual([answer.editResult.wave.number, answer.editResult.wave.size], [3, 1]);
      await writeFile(file, 'name: bad\nselector: {}\npercent: 10\n');
      const invalid = await fleetwave(['add-wave', op.id, '--file', file]);
      assert.equal(invalid.code, 2, invalid.stderr);
      assert.match(invalid.stderr, /percent/);

      const now = await status(stack, op.id);
      assert.deepEqual(
        now.waves.map((w: any) => [w.name, w.size, w.maxFailures, w.bakeSeconds]),
        [
          ['first', 0, 0, 0],
          ['last', 2, 1, 5],
          ['late', 1, 0, 0],
        ],
      );
      await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
      await waitForState(stack, op.id, 'cancelled');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
