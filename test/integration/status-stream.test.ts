// GET /v1/me and the live status stream, over real HTTP against a real worker: who a token is; a stream
// that starts with the status now, sends each change (an approval, the clusters' progress), and ends with
// `end` once the operation has; a stream on an ended operation ends at once; an unknown operation is a 404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import { seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

interface StreamEvent {
  event: string;
  data: any;
}

/** The events of a text/event-stream response, parsed, until the server closes it. */
async function* eventsOf(res: Response): AsyncGenerator<StreamEvent> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

const openStream = (id: string, token: string = TOKENS.viewer) =>
  fetch(`${stack.api.url}/v1/operations/${id}/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(60_000),
  });

describe('GET /v1/me', () => {
  test('when each role asks who it is, then it hears its identity and role; without a token it is a 401', async () => {
    for (const [role, identity] of [
      ['viewer', 'vera'],
      ['operator', 'olga'],
      ['approver', 'abe'],
      ['admin', 'ada'],
    ] as const) {
      const res = await call(stack.api.url, 'GET', '/v1/me', { token: TOKENS[role] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { identity, role });
    }
    const anonymous = await call(stack.api.url, 'GET', '/v1/me', { token: null });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthorized');
  });
});

describe('GET /v1/operations/:id/stream', () => {
  test('when a viewer watches an operation through its approval to the end, then each change arrives and the stream ends with it', async () => {
    const ids = await seedFleet(stack, 3);
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [{ name: 'gated', selector: { ids }, approval: 'manual', maxParallel: 1 }],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const res = await openStream(op.id);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');

    const seen: StreamEvent[] = [];
    let approved = false;
    for await (const ev of eventsOf(res)) {
      seen.push(ev);
      if (!approved) {
        assert.equal(ev.event, 'status');
        assert.equal(ev.data.state, 'awaiting_approval', 'the first event is the status now');
        const answer = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
          token: TOKENS.approver,
          body: { wave: 1 },
        });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        approved = true;
      }
    }
    const statuses = seen.filter((e) => e.event === 'status').map((e) => e.data);
    assert.deepEqual(seen.at(-1), { event: 'end', data: { reason: 'finished' } });
    assert.equal(statuses.at(-1).state, 'completed');
    assert.equal(statuses.at(-1).counts.succeeded, 3);
    assert.ok(
      statuses.some((s) => s.state === 'running' && s.pendingApproval === null),
      'the approval shows while the wave runs',
    );
    // Only changes are sent: no two statuses in a row are the same.
    for (let i = 1; i < statuses.length; i++) assert.notDeepEqual(statuses[i], statuses[i - 1]);
    // The same status GET answers.
    const now = await call(stack.api.url, 'GET', `/v1/operations/${op.id}`, { token: TOKENS.viewer });
    assert.deepEqual(statuses.at(-1), now.body);
  });

  test('when a stream opens on an operation that has ended, then it sends the status and ends at once', async () => {
    const ids = await seedFleet(stack, 1);
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForState(stack, op.id, 'completed');
    const events: StreamEvent[] = [];
    for await (const ev of eventsOf(await openStream(op.id))) events.push(ev);
    assert.deepEqual(
      events.map((e) => e.event),
      ['status', 'end'],
    );
    assert.equal(events[0]!.data.state, 'completed');
  });

  test('when the operation is unknown or no token is sent, then it is a JSON 404 or 401 and no stream opens', async () => {
    const unknown = await call(stack.api.url, 'GET', '/v1/operations/op-does-not-exist/stream', {
      token: TOKENS.viewer,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const anonymous = await call(stack.api.url, 'GET', '/v1/operations/op-does-not-exist/stream', { token: null });
    assert.equal(anonymous.status, 401);
  });
});
