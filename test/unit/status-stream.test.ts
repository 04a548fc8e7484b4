// Live status streams: one poller per watched operation whatever the number of watchers, a watcher hears
// only changes, an ended operation ends its streams, a failed read is reported and retried, and closing
// ends every stream and every poller.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStatusStreams, type StatusWatcher } from '../../api/services/status-stream';

interface Status {
  state: string;
  n: number;
}

function fixture() {
  const source: { value: Status; reads: number; fail: boolean } = {
    value: { state: 'running', n: 1 },
    reads: 0,
    fail: false,
  };
  const streams = createStatusStreams<Status>({
    load: () => {
      source.reads++;
      return source.fail ? Promise.reject(new Error('down')) : Promise.resolve(source.value);
    },
    serialize: (v) => JSON.stringify(v),
    finished: (v) => v.state === 'completed',
    intervalMs: 10,
  });
  return { source, streams };
}

function recorder() {
  const heard: string[] = [];
  const watcher: StatusWatcher<Status> = {
    status: (_v, body) => heard.push(body),
    end: (reason) => heard.push(`end:${reason}`),
    error: () => heard.push('error'),
  };
  return { heard, watcher };
}

const ticks = (n: number) => new Promise((r) => setTimeout(r, n * 10 + 15));
const first = (v: Status) => ({ value: v, body: JSON.stringify(v) });

test('when three streams watch one operation, then one poller reads for them and each hears a change once', async () => {
  const { source, streams } = fixture();
  const watchers = [recorder(), recorder(), recorder()];
  const stops = watchers.map((w) => streams.watch('op', first(source.value), w.watcher));
  await ticks(3);
  assert.deepEqual(
    watchers.map((w) => w.heard),
    [[], [], []],
    'nothing changed: nothing sent',
  );
  const readsBefore = source.reads;
  await ticks(5);
  assert.ok(source.reads - readsBefore <= 7, `one poller, not three: ${source.reads - readsBefore} reads in 5 ticks`);
  source.value = { state: 'running', n: 2 };
  await ticks(3);
  for (const w of watchers) assert.deepEqual(w.heard, [JSON.stringify({ state: 'running', n: 2 })]);
  stops.forEach((stop) => stop());
  assert.equal(streams.watching().size, 0, 'the last watcher gone, the poller stops');
});

test('when the operation ends, then the watchers hear its last status and the end, and the poller stops', async () => {
  const { source, streams } = fixture();
  const w = recorder();
  streams.watch('op', first(source.value), w.watcher);
  source.value = { state: 'completed', n: 3 };
  await ticks(3);
  assert.deepEqual(w.heard, [JSON.stringify({ state: 'completed', n: 3 }), 'end:finished']);
  assert.equal(streams.watching().size, 0);
});

test('when a stream opens on an operation that has already ended, then it is ended at once', () => {
  const { streams } = fixture();
  const w = recorder();
  streams.watch('op', first({ state: 'completed', n: 1 }), w.watcher);
  assert.deepEqual(w.heard, ['end:finished']);
  assert.equal(streams.watching().size, 0);
});

test('when a read fails, then the watchers are told and the next read goes on', async () => {
  const { source, streams } = fixture();
  const w = recorder();
  const stop = streams.watch('op', first(source.value), w.watcher);
  source.fail = true;
  await ticks(2);
  assert.ok(w.heard.includes('error'));
  source.fail = false;
  source.value = { state: 'running', n: 9 };
  await ticks(3);
  assert.equal(w.heard.at(-1), JSON.stringify({ state: 'running', n: 9 }));
  stop();
});

test('when the process closes its streams, then every watcher hears closing and no poller is left', async () => {
  const { source, streams } = fixture();
  const a = recorder();
  const b = recorder();
  streams.watch('op-1', first(source.value), a.watcher);
  streams.watch('op-2', first(source.value), b.watcher);
  assert.equal(streams.watching().size, 2);
  streams.closeAll();
  assert.deepEqual([a.heard, b.heard], [['end:closing'], ['end:closing']]);
  assert.equal(streams.watching().size, 0);
  const reads = source.reads;
  await ticks(3);
  assert.equal(source.reads, reads, 'no read after close');
});
