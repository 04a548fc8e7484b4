// The order in which the operation relays operator messages to its running wave, with stub activities
// (no database). Two messages handled in one workflow task must reach the wave's child workflow in the
// order the operation handled them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pauseSignal, resumeSignal } from '../../workflows/messages';
import { recordHistories } from './record-history';
import { eventually, workflowTestEnv, SIDE_BY_SIDE } from './harness';

const env = workflowTestEnv();

const OPERATIONS = 6;

describe('relay order', SIDE_BY_SIDE, () => {
  test(`when pause and resume arrive back to back (${OPERATIONS} operations), then every wave runs on and completes`, async () => {
    const stuck: string[] = [];
    await Promise.all(
      Array.from({ length: OPERATIONS }, () =>
        env.run({ waves: [{ clusters: ['a', 'b', 'c'] }], stubs: { holdApplies: true } }, async (op) => {
          await eventually(() => op.stubs.applies.keys.includes('a'), 'a in flight');
          await op.handle.signal(pauseSignal, { by: 'dave' });
          await op.handle.signal(resumeSignal, { by: 'dave' });
          op.stubs.applies.open();
          const done = await op.result(6_000).catch(() => undefined);
          if (done?.state !== 'completed') stuck.push(op.id);
          else await recordHistories(op.client, op.id, [1], 'pause-resume-back-to-back');
        }),
      ),
    );
    assert.deepEqual(stuck, [], `${stuck.length} of ${OPERATIONS} operations never finished their wave`);
  });
});
