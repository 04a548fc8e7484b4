// Fresh reads shared by concurrent callers: every caller is served by a read that started after it asked,
// callers who come while a read runs share the next one, and a failed read fails only its own callers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFreshReads } from '../../api/services/fresh-read';

/** A source whose value a test changes, and a log of when each read started and what it saw. */
function source() {
  const state = { value: 1, reads: 0, fail: false };
  const gates: (() => void)[] = [];
  const load = async (key: string) => {
    state.reads++;
    const seen = state.value;
    await new Promise<void>((r) => gates.push(r));
    if (state.fail) throw new Error(`read of ${key} failed`);
    return seen;
  };
  const release = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    gates.splice(0).forEach((open) => open());
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { state, load, release };
}

test("when 50 callers ask at once, then two reads serve them all: the first caller's, and the next for the 49 who came after it started", async () => {
  const s = source();
  const reads = createFreshReads(s.load);
  const answers = Promise.all(Array.from({ length: 50 }, () => reads.read('op')));
  await s.release();
  await s.release();
  assert.deepEqual(new Set(await answers), new Set([1]));
  assert.equal(s.state.reads, 2);
});

test('when a caller comes while a read runs, then it waits for the next read and sees what changed before it asked', async () => {
  const s = source();
  const reads = createFreshReads(s.load);
  const first = reads.read('op');
  s.state.value = 2; // an action lands after the first read started, before the later callers ask
  const later = Promise.all([reads.read('op'), reads.read('op'), reads.read('op')]);
  await s.release();
  assert.equal(await first, 1);
  await s.release();
  assert.deepEqual(await later, [2, 2, 2]);
  assert.equal(s.state.reads, 2, 'the three later callers share one read');
});

test('when a read fails, then its callers get the error and the next caller reads again', async () => {
  const s = source();
  const reads = createFreshReads(s.load);
  s.state.fail = true;
  const failed = reads.read('op');
  const settled = failed.catch((err: unknown) => err);
  await s.release();
  assert.match(String(await settled), /read of op failed/);
  s.state.fail = false;
  const again = reads.read('op');
  await s.release();
  assert.equal(await again, 1);
  assert.equal(s.state.reads, 2);
});

test('when keys differ, then their reads are separate', async () => {
  const s = source();
  const reads = createFreshReads(s.load);
  const both = Promise.all([reads.read('a'), reads.read('b')]);
  await s.release();
  await both;
  assert.equal(s.state.reads, 2);
});
