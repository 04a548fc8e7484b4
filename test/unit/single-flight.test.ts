// The status cache: one load for concurrent callers, reuse while the version is current (within the TTL,
// then served to others while one caller refreshes it), a newer version always loaded, unversioned answers
// never reused, no caching of failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSingleFlight, type Loaded } from '../../api/services/single-flight';

/** A load that counts its calls and answers the call number, read at `version`. */
function counting(version: number | null = 1) {
  const calls = { n: 0 };
  const load = (): Promise<Loaded<number>> => Promise.resolve({ version, value: ++calls.n });
  return { calls, load };
}

test('when many callers ask at once, then one load serves them all', async () => {
  const cache = createSingleFlight<number>(0);
  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 20));
    return { version: 3, value: 42 };
  };
  const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('op', 3, load)));
  assert.deepEqual(new Set(answers), new Set([42]));
  assert.equal(loads, 1);
});

test('when asked again within the TTL at the same version, then the answer is reused; after invalidate, it is loaded again', async () => {
  const cache = createSingleFlight<number>(60_000);
  const { load } = counting();
  assert.equal(await cache.get('op', 1, load), 1);
  assert.equal(await cache.get('op', 1, load), 1);
  cache.invalidate('op');
  assert.equal(await cache.get('op', 1, load), 2);
  assert.equal(await cache.get('other', 1, load), 3);
});

test('when the source has a newer version, then the held answer is not served: the caller waits for a load', async () => {
  const cache = createSingleFlight<number>(60_000);
  let version = 1;
  let loads = 0;
  const load = () => Promise.resolve({ version, value: ++loads });
  assert.equal(await cache.get('op', version, load), 1);
  version = 2;
  assert.equal(await cache.get('op', version, load), 2);
  // A caller who read the older version is served the newer answer: it is at least as current.
  assert.equal(await cache.get('op', 1, load), 2);
});

test('when the TTL has passed at the same version, then one caller refreshes it and those meanwhile get the answer held', async () => {
  const cache = createSingleFlight<number>(1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let loads = 0;
  const load = async () => {
    loads++;
    if (loads > 1) await gate;
    return { version: 1, value: loads };
  };
  assert.equal(await cache.get('op', 1, load), 1);
  await new Promise((r) => setTimeout(r, 5));
  const refreshing = cache.get('op', 1, load);
  assert.deepEqual(await Promise.all([cache.get('op', 1, load), cache.get('op', 1, load)]), [1, 1]);
  assert.equal(loads, 2);
  release();
  assert.equal(await refreshing, 2);
  assert.equal(await cache.get('op', 1, load), 2);
});

test('when the TTL is 0, then a finished answer is never reused', async () => {
  const cache = createSingleFlight<number>(0);
  const { load } = counting();
  assert.equal(await cache.get('op', 1, load), 1);
  assert.equal(await cache.get('op', 1, load), 2);
});

test('when the source is unversioned, then concurrent callers share a load but a finished answer is not reused', async () => {
  const cache = createSingleFlight<number>(60_000);
  const { calls, load } = counting(null);
  assert.deepEqual(await Promise.all([cache.get('op', null, load), cache.get('op', null, load)]), [1, 1]);
  assert.equal(await cache.get('op', null, load), 2);
  assert.equal(calls.n, 2);
});

test('when a load fails, then the failure is not cached', async () => {
  const cache = createSingleFlight<number>(60_000);
  await assert.rejects(
    cache.get('op', 1, () => Promise.reject(new Error('down'))),
    /down/,
  );
  assert.equal(await cache.get('op', 1, () => Promise.resolve({ version: 1, value: 7 })), 7);
});
