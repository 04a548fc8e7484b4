// Operator actions governed by the workflow itself: every signal and the API's update obey the same rules,
// are answered (applied or rejected with a reason) and audited once, with stub activities (no database).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  approveWaveSignal,
  cancelSignal,
  operatorActionUpdate,
  pauseSignal,
  resumeSignal,
} from '../../workflows/messages';
import type { OperatorActionInput } from '../../domain/workflow-contracts';
import { eventually, workflowTestEnv, type RunningOperation, SIDE_BY_SIDE } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

/** The audit rows the workflow wrote, oldest first, as [action, by, via, outcome, reason]. */
const auditOf = (op: RunningOperation) =>
  [...op.stubs.audited.values()].map((row) => [row.action, row.by, row.via, row.outcome, row.reason ?? null]);

const sorted = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();

async function auditedCount(op: RunningOperation, count: number): Promise<void> {
  await eventually(() => op.stubs.audited.size >= count, `${count} audit rows`);
}

describe('signals governed by the workflow', SIDE_BY_SIDE, () => {
  test('when the starter approves by signal, then it is rejected and audited; another approver is accepted', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'alice' });
      await auditedCount(op, 1);
      assert.equal((await op.status()).waves[0]!.approvedBy, null, 'the starter approved her own wave');
      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'carol', comment: 'looks good' });
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.equal(done.waves[0]!.approvedBy, 'carol');
      assert.deepEqual(auditOf(op), [
        ['approve', 'alice', 'temporal', 'rejected', 'self_approval_forbidden'],
        ['approve', 'carol', 'temporal', 'applied', null],
      ]);
      const accepted = [...op.stubs.audited.values()][1]!;
      assert.deepEqual(accepted.details, { wave: 1, comment: 'looks good' });
      assert.equal(accepted.role, 'temporal');
      await recordHistories(op.client, op.id, [1], 'governed-approval');
    });
  });

  test('when self-approval is allowed in the input, then the starter may approve', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }], allowSelfApproval: true }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'alice' });
      assert.equal((await op.result()).waves[0]!.approvedBy, 'alice');
    });
  });

  test('when a signal names nobody or a wave that does not wait, then it is rejected with its reason', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }, { clusters: ['b'] }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await op.handle.signal(pauseSignal, {} as never);
      await op.handle.signal(approveWaveSignal, { wave: 2, by: 'carol' });
      await op.handle.signal(resumeSignal, { by: 'carol' });
      await auditedCount(op, 3);
      const status = await op.status();
      assert.equal(status.paused, false, 'a pause without by was applied');
      assert.equal(status.state, 'awaiting_approval');
      assert.deepEqual(
        sorted(auditOf(op)),
        sorted([
          ['pause', 'unknown', 'temporal', 'rejected', 'by_required'],
          ['approve', 'carol', 'temporal', 'rejected', 'not_awaiting_approval'],
          ['resume', 'carol', 'temporal', 'rejected', 'not_paused'],
        ]),
      );
      await op.handle.signal(cancelSignal, { by: 'carol' });
      assert.equal((await op.result()).state, 'cancelled');
    });
  });

  test('when paused twice or cancelled twice, then the second is rejected (already_paused, cancel_requested)', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { holdApplies: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.includes('a'), 'a in flight');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      await op.handle.signal(pauseSignal, { by: 'dave' });
      await op.handle.signal(cancelSignal, { by: 'dave' });
      await op.handle.signal(cancelSignal, { by: 'erin' });
      await op.handle.signal(resumeSignal, { by: 'erin' });
      await auditedCount(op, 5);
      op.stubs.applies.open();
      assert.equal((await op.result()).state, 'cancelled');
      // The audit activities run side by side: compare the rows, not the order they landed in.
      assert.deepEqual(
        sorted(auditOf(op)),
        sorted([
          ['pause', 'dave', 'temporal', 'applied', null],
          ['pause', 'dave', 'temporal', 'rejected', 'already_paused'],
          ['cancel', 'dave', 'temporal', 'applied', null],
          ['cancel', 'erin', 'temporal', 'rejected', 'cancel_requested'],
          ['resume', 'erin', 'temporal', 'rejected', 'cancel_requested'],
        ]),
      );
      assert.deepEqual(op.stubs.appliedIds(), ['a']);
    });
  });
});

describe('the operatorAction update', SIDE_BY_SIDE, () => {
  test('when the API sends an action, then the answer says applied or why not, and a repeat is answered once', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      const update = (args: OperatorActionInput, updateId?: string) =>
        op.handle.executeUpdate(operatorActionUpdate, { args: [args], ...(updateId ? { updateId } : {}) });
      const api = { via: 'api' as const, role: 'approver', requestId: 'req-1' };

      const own = await update({ action: 'approve', wave: 1, by: 'alice', ...api, actionId: 'x1' });
      assert.equal(own.outcome, 'rejected');
      assert.equal(own.reason, 'self_approval_forbidden');

      const first = await update({ action: 'approve', wave: 1, by: 'carol', ...api, actionId: 'x2' }, 'x2');
      assert.deepEqual(first, { outcome: 'applied', message: 'wave 1 approved' });
      // The same action again (a retried request, or its signal fallback): the first answer, nothing repeated.
      const again = await update({ action: 'approve', wave: 1, by: 'carol', ...api, actionId: 'x2' });
      assert.equal(again.outcome, 'applied');
      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'carol', via: 'api', actionId: 'x2' });

      const bogus = await update({ action: 'reboot' as never, by: 'carol', ...api, actionId: 'x3' });
      assert.equal(bogus.reason, 'unknown_action');

      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(auditOf(op), [
        ['approve', 'alice', 'api', 'rejected', 'self_approval_forbidden'],
        ['approve', 'carol', 'api', 'applied', null],
        ['reboot', 'carol', 'api', 'rejected', 'unknown_action'],
      ]);
      const row = op.stubs.audited.get('x2')!;
      assert.equal(row.role, 'approver');
      assert.equal(row.requestId, 'req-1');
      assert.deepEqual(
        done.recentActions?.map((a) => [a.actionId, a.outcome]),
        [
          ['x1', 'rejected'],
          ['x2', 'applied'],
          ['x3', 'rejected'],
        ],
      );
      await recordHistories(op.client, op.id, [1], 'governed-update');
    });
  });
});
