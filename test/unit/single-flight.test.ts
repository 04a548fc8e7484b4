// The status cache: one load for concurrent callers, reuse within the TTL, no caching of failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSingleFlight } from '../../api/services/single-flight';

test('when many callers ask at once, then one load serves them all', async () => {
  const cache = createSingleFlight<number>(0);
  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 20));
    return 42;
  };
  const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('op', load)));
  assert.deepEqual(new Set(answers), new Set([42]));
  assert.equal(loads, 1);
});

test('when asked again within the TTL, then the answer is reused; after invalidate, it is loaded again', async () => {
  const cache = createSingleFlight<number>(60_000);
  let loads = 0;
  const load = () => Promise.resolve(++loads);
  assert.equal(await cache.get('op', load), 1);
  assert.equal(await cache.get('op', load), 1);
  cache.invalidate('op');
  assert.equal(await cache.get('op', load), 2);
  assert.equal(await cache.get('other', load), 3);
});

test('when a load fails, then the failure is not cached', async () => {
  const cache = createSingleFlight<number>(60_000);
  await assert.rejects(
    cache.get('op', () => Promise.reject(new Error('down'))),
    /down/,
  );
  assert.equal(await cache.get('op', () => Promise.resolve(7)), 7);
});
