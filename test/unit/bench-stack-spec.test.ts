// The bench's stack names: which server, shards, workers and API replicas each one means, and the
// names it refuses with a message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStackSpec, stackLabel } from '../../scripts/bench/stack-spec';

test('when a stack is named, then its parts are read and the rest take their defaults', () => {
  assert.deepEqual(parseStackSpec('dev'), { server: 'dev', shards: 1, workers: 1, apiReplicas: 1 });
  assert.deepEqual(parseStackSpec('pg'), { server: 'postgres', shards: 4, workers: 1, apiReplicas: 1 });
  assert.deepEqual(parseStackSpec('pg-s1-w2'), { server: 'postgres', shards: 1, workers: 2, apiReplicas: 1 });
  assert.deepEqual(parseStackSpec('pg-a2-s8'), { server: 'postgres', shards: 8, workers: 1, apiReplicas: 2 });
  assert.deepEqual(parseStackSpec('dev-w2'), { server: 'dev', shards: 1, workers: 2, apiReplicas: 1 });
  assert.equal(stackLabel(parseStackSpec('pg-s4-w2-a2')), 'PostgreSQL server, 4 shards, 2 workers, 2 API replicas');
  assert.equal(stackLabel(parseStackSpec('dev')), 'dev server (SQLite), 1 worker, 1 API replica');
  assert.equal(stackLabel(parseStackSpec('pg-s1')), 'PostgreSQL server, 1 shard, 1 worker, 1 API replica');
});

test('when a stack name is wrong, then it is refused with what is wrong', () => {
  assert.throws(() => parseStackSpec('docker'), /starts with dev or pg/);
  assert.throws(() => parseStackSpec('pg-x2'), /"x2" is not s<N>, w<N> or a<N>/);
  assert.throws(() => parseStackSpec('pg-w0'), /"w0"/);
  assert.throws(() => parseStackSpec('dev-s4'), /the dev server has one shard/);
});
