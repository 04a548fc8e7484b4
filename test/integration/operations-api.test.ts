// The operations API without a worker: planning, start, idempotency, run pages, audit, roles and state checks.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/client';
import { canonicalJson } from '../../domain/operation-start';
import { call, startApi, startApiWithCleanup, TOKENS, type TestApi } from '../helpers/api';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';
import { startTcpProxy } from '../helpers/tcp-proxy';

const { api, started } = startApiWithCleanup();

/** Creates `n` clusters (3.6.0 unless overridden) with unique ids; returns the ids in id order. */
async function fleet(n: number, overrides: (i: number) => Record<string, unknown> = () => ({})): Promise<string[]> {
  const prefix = uid('c');
  const clusters = Array.from({ length: n }, (_, i) => clusterBody({ id: `${prefix}-${i}`, ...overrides(i) }));
  const res = await call(api.url, 'POST', '/v1/clusters', { body: { clusters } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return clusters.map((c) => c.id);
}

const upgrade = (ids: string[], extra: Record<string, unknown> = {}) => ({
  name: uid('op'),
  action: { type: 'upgrade', targetVersion: '3.7.1' },
  selector: { ids },
  ...extra,
});

async function start(
  body: unknown,
  opts: { token?: string; headers?: Record<string, string>; query?: string; on?: TestApi } = {},
) {
  const target = opts.on ?? api;
  const res = await call(target.url, 'POST', `/v1/operations${opts.query ?? ''}`, {
    body,
    token: opts.token,
    headers: opts.headers,
  });
  if (res.status === 201) started.push(res.body.id);
  return res;
}

async function written(name: string, clusterIds: string[]) {
  const { rows } = await api.db.query<{ ops: number; runs: number; audit: number }>(
    `SELECT (SELECT count(*) FROM operations WHERE name = $1)::int AS ops,
            (SELECT count(*) FROM cluster_runs WHERE cluster_id = ANY($2))::int AS runs,
            (SELECT count(*) FROM audit_events WHERE action LIKE 'operation.%' AND payload->'request'->>'name' = $1)::int AS audit`,
    [name, clusterIds],
  );
  return rows[0]!;
}

describe('POST /v1/operations', () => {
  test('when dryRun=true, then it answers 200 with the plan and writes nothing', async () => {
    const ids = await fleet(4, (i) => ({
      environment: i === 0 ? 'internal' : 'customer',
      version: i === 3 ? '3.7.1' : '3.6.0',
    }));
    const body = upgrade(ids, { waves: [{ name: 'internal', selector: { environment: 'internal' } }] });
    const res = await start(body, { query: '?dryRun=true', token: TOKENS.operator });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.plan.total, 3);
    assert.deepEqual(
      res.body.plan.waves.map((w: any) => [w.name, w.clusterIds]),
      [
        ['internal', [ids[0]]],
        ['remainder', [ids[1], ids[2]]],
      ],
    );
    assert.deepEqual(res.body.plan.skipped, [{ clusterId: ids[3], reason: 'already_at_target' }]);
    assert.equal(res.body.id, undefined);
    assert.deepEqual(await written(body.name, ids), { ops: 0, runs: 0, audit: 0 });
  });

  const invalid: [string, (ids: string[]) => unknown, string?][] = [
    ['an unknown field', (ids) => ({ ...upgrade(ids), colour: 'blue' })],
    [
      'a target version that is not semver',
      (ids) => upgrade(ids, { action: { type: 'upgrade', targetVersion: '3.7' } }),
    ],
    [
      'both waves and a policy',
      (ids) => upgrade(ids, { waves: [{ name: 'a' }], policy: { type: 'by-cloud', order: ['aws'] } }),
    ],
    ['a selector that matches nothing', () => upgrade([uid('missing')])],
    [
      'only clusters already at the target',
      (ids) => upgrade(ids, { action: { type: 'upgrade', targetVersion: '3.6.0' } }),
      'nothing_to_do',
    ],
  ];
  for (const [what, makeBody, code = 'validation_failed'] of invalid) {
    test(`when the request has ${what}, then it is 400 ${code} and nothing is written`, async () => {
      const ids = await fleet(2);
      const body = makeBody(ids) as { name: string };
      const res = await start(body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      assert.deepEqual(await written(body.name, ids), { ops: 0, runs: 0, audit: 0 });
      if (code === 'nothing_to_do')
        assert.deepEqual(
          res.body.error.details.map((d: any) => d.clusterId),
          ids,
        );
    });
  }

  test('when the query, the key header or the key pair is bad, then it is 400', async () => {
    const ids = await fleet(1);
    assert.equal((await start(upgrade(ids), { query: '?dryRun=yes' })).status, 400);
    assert.equal((await start(upgrade(ids), { query: '?force=true' })).status, 400);
    assert.equal((await start(upgrade(ids), { headers: { 'idempotency-key': 'has space' } })).status, 400);
    const both = await start(upgrade(ids, { requestId: 'a' }), { headers: { 'idempotency-key': 'b' } });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.details[0].path, 'requestId');
  });

  test('when started, then the operation, pending runs and the audit event are written and the workflow is running', async () => {
    const ids = await fleet(3, (i) => ({ version: i === 2 ? '3.8.0' : '3.6.0' }));
    const body = upgrade(ids, { waves: [{ name: 'first', selector: { ids: [ids[0]] }, approval: 'manual' }] });
    const res = await start(body, { token: TOKENS.operator });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.state, 'running');
    assert.match(res.body.id, new RegExp(`^${body.name}-[0-9a-f]{6}$`));
    assert.equal(res.body.plan.total, 2);

    const op = await api.db.query(
      'SELECT name, started_by, idempotency_key, workflow_started_at, plan FROM operations WHERE id = $1',
      [res.body.id],
    );
    assert.equal(op.rows[0].started_by, 'olga');
    assert.ok(op.rows[0].workflow_started_at);
    assert.deepEqual(op.rows[0].plan, res.body.plan);
    const runs = await api.db.query(
      'SELECT cluster_id, wave, state, from_version, to_version, reason FROM cluster_runs WHERE operation_id = $1 ORDER BY cluster_id',
      [res.body.id],
    );
    assert.deepEqual(runs.rows, [
      { cluster_id: ids[0], wave: 1, state: 'pending', from_version: '3.6.0', to_version: '3.7.1', reason: null },
      { cluster_id: ids[1], wave: 2, state: 'pending', from_version: '3.6.0', to_version: '3.7.1', reason: null },
      {
        cluster_id: ids[2],
        wave: 0,
        state: 'skipped',
        from_version: '3.8.0',
        to_version: '3.7.1',
        reason: 'already_at_target',
      },
    ]);
    const audit = await api.db.query('SELECT identity, action FROM audit_events WHERE operation_id = $1', [
      res.body.id,
    ]);
    assert.deepEqual(audit.rows, [{ identity: 'olga', action: 'operation.start' }]);

    const handle = api.client.workflow.getHandle(res.body.id);
    const described = await handle.describe();
    assert.equal(described.status.name, 'RUNNING');
    assert.equal(described.type, 'fleetOperationWorkflow');
    assert.equal(described.taskQueue, api.taskQueue);
    assert.deepEqual(described.searchAttributes.FleetOperationName, [body.name]);
    assert.deepEqual(described.searchAttributes.FleetTargetVersion, ['3.7.1']);
    assert.deepEqual(described.searchAttributes.FleetState, ['running']);
    assert.equal(await described.staticSummary(), 'upgrade to 3.7.1 · 2 clusters in 2 waves');
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = defaultPayloadConverter.fromPayload<any>(payload!);
    assert.equal(input.operationId, res.body.id);
    assert.deepEqual(
      input.waves.map((w: any) => [w.number, w.name, w.size, w.approval]),
      [
        [1, 'first', 1, 'manual'],
        [2, 'remainder', 1, 'none'],
      ],
    );
    assert.ok(
      input.waves.every((w: any) => w.clusterIds === undefined),
      'the workflow input never carries cluster ids',
    );
  });

  test('when the same requestId comes with the same body, then it is the same operation (200); with another body, 409', async () => {
    const ids = await fleet(2);
    const body = upgrade(ids, { requestId: uid('req') });
    const first = await start(body);
    assert.equal(first.status, 201);
    const again = await start(body);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.state, 'running');
    const rows = await api.db.query('SELECT count(*)::int AS n FROM operations WHERE name = $1', [body.name]);
    assert.equal(rows.rows[0].n, 1);
    const other = await start({ ...body, maxFailuresTotal: 3 });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
  });

  test('when a request recorded before limits, health rules, shadow rules and alarms existed is repeated, then it is still the same operation', async () => {
    const ids = await fleet(1);
    const body = upgrade(ids, { requestId: uid('req') });
    const first = await start(body);
    assert.equal(first.status, 201);
    // Rewrite the record as the earlier version stored it: no new fields, fingerprint over what it had.
    // (A stored request without onLeased ran with today's skip behaviour; a repeat still finds it.)
    const { rows } = await api.db.query('SELECT request FROM operations WHERE id = $1', [first.body.id]);
    const { limits: _l, alarms: _a, alarmIntervalSeconds: _i, onLeased: _w, ...old } = rows[0].request;
    const { require: _r, shadowRequire: _s, ...monitor } = old.monitor;
    const { requestId: _id, ...fingerprinted } = { ...old, monitor };
    const hash = createHash('sha256').update(canonicalJson(fingerprinted)).digest('hex');
    await api.db.query('UPDATE operations SET request = $2, request_hash = $3 WHERE id = $1', [
      first.body.id,
      { ...old, monitor },
      hash,
    ]);
    const again = await start(body);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
  });

  test('when the Idempotency-Key header repeats, then the same operation comes back', async () => {
    const ids = await fleet(1);
    const body = upgrade(ids);
    const headers = { 'idempotency-key': uid('key') };
    const first = await start(body, { headers });
    const again = await start(body, { headers });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
  });

  test('when Temporal is down at start, then it is 503 naming a key, and repeating with that key starts the same operation', async () => {
    const [host, port] = testEnv().temporalAddress.split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    const flaky = await startApi({ temporalAddress: `127.0.0.1:${proxy.port}`, rpcTimeoutMs: 1500 });
    try {
      const ids = await fleet(1);
      const body = upgrade(ids);
      await proxy.cut();
      const down = await start(body, { on: flaky });
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.error.code, 'temporal_unavailable');
      const { operationId, idempotencyKey } = down.body.error.details[0];
      started.push(operationId);
      const row = await api.db.query('SELECT workflow_started_at FROM operations WHERE id = $1', [operationId]);
      assert.equal(row.rows[0].workflow_started_at, null);
      assert.equal((await call(api.url, 'GET', `/v1/operations/${operationId}`)).body.state, 'planning');

      await proxy.restore();
      const deadline = Date.now() + 20_000;
      let res = await start(body, { on: flaky, headers: { 'idempotency-key': idempotencyKey } });
      while (res.status === 503 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        res = await start(body, { on: flaky, headers: { 'idempotency-key': idempotencyKey } });
      }
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, operationId);
      assert.equal((await api.client.workflow.getHandle(operationId).describe()).status.name, 'RUNNING');
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });
});

describe('a large operation', () => {
  test('when 10,000 clusters are planned, then the start writes every run quickly and status gives wave sizes, not ids', async () => {
    const prefix = uid('big');
    const ids = Array.from({ length: 10_000 }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 5000) {
      const clusters = ids
        .slice(i, i + 5000)
        .map((id) => clusterBody({ id, environment: id.endsWith('7') ? 'internal' : 'customer' }));
      assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: { clusters } })).status, 201);
    }
    const began = Date.now();
    const res = await start(
      upgrade(ids, { waves: [{ name: 'internal', selector: { environment: 'internal' }, maxParallel: 50 }] }),
    );
    const elapsed = Date.now() - began;
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 500));
    assert.ok(elapsed < 10_000, `start took ${elapsed} ms`);
    const runs = await api.db.query(
      `SELECT count(*)::int AS n FROM cluster_runs WHERE operation_id = $1 AND state = 'pending'`,
      [res.body.id],
    );
    assert.equal(runs.rows[0].n, 10_000);

    const s = await call(api.url, 'GET', `/v1/operations/${res.body.id}`, { token: TOKENS.viewer });
    assert.equal(s.status, 200);
    assert.equal(s.body.plan.clusterIdsOmitted, true);
    assert.deepEqual(
      s.body.plan.waves.map((w: any) => [w.name, w.size, w.clusterIds]),
      [
        ['internal', 1000, undefined],
        ['remainder', 9000, undefined],
      ],
    );
    assert.equal(s.body.counts.pending, 10_000);
    const page = await call(api.url, 'GET', `/v1/operations/${res.body.id}/clusters?wave=1&limit=1000`, {
      token: TOKENS.viewer,
    });
    assert.equal(page.body.runs.length, 1000);
    assert.ok(page.body.nextCursor === null);
  });
});

describe('reading an operation', () => {
  let id: string;
  let ids: string[];
  before(async () => {
    ids = await fleet(5, (i) => ({
      environment: i < 2 ? 'internal' : 'customer',
      version: i === 4 ? '3.7.1' : '3.6.0',
    }));
    const res = await start(upgrade(ids, { waves: [{ name: 'internal', selector: { environment: 'internal' } }] }));
    assert.equal(res.status, 201);
    id = res.body.id;
  });

  test('when no worker answers, then status falls back to describe and counts come from PostgreSQL', async () => {
    const res = await call(api.url, 'GET', `/v1/operations/${id}`, { token: TOKENS.viewer });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const s = res.body;
    assert.equal(s.state, 'running');
    assert.equal(s.source, 'describe');
    assert.equal(s.workflowStatus, 'RUNNING');
    assert.equal(s.startedBy, 'ada');
    assert.deepEqual(s.action, { type: 'upgrade', targetVersion: '3.7.1' });
    assert.deepEqual(s.counts, {
      total: 4,
      pending: 4,
      running: 0,
      succeeded: 0,
      failed: 0,
      rolled_back: 0,
      skipped: 0,
      waiting: 0,
    });
    assert.deepEqual(
      s.waves.map((w: any) => [w.number, w.name, w.state, w.counts.pending, w.approvedBy]),
      [
        [1, 'internal', 'pending', 2, null],
        [2, 'remainder', 'pending', 2, null],
      ],
    );
    assert.deepEqual(s.plan.waves[0].clusterIds, [ids[0], ids[1]]);
    assert.equal(s.plan.clusterIdsOmitted, false);
    assert.deepEqual(s.inFlight, []);
    assert.equal(s.pendingApproval, null);
  });

  test('when clusters are paged with limit=2, then the cursor walks every run once, in id order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/operations/${id}/clusters?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(api.url, 'GET', q, { token: TOKENS.viewer });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      seen.push(...res.body.runs.map((r: any) => r.clusterId));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids);
  });

  const filters: [string, number[]][] = [
    ['state=pending', [0, 1, 2, 3]],
    ['state=pending&wave=2', [2, 3]],
    ['wave=1', [0, 1]],
    ['state=skipped', [4]],
    ['state=failed,rolled_back', []],
  ];
  for (const [query, expected] of filters) {
    test(`when clusters are filtered by '${query}', then exactly those runs come back`, async () => {
      const res = await call(api.url, 'GET', `/v1/operations/${id}/clusters?${query}`, { token: TOKENS.viewer });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.runs.map((r: any) => r.clusterId),
        expected.map((i) => ids[i]),
      );
      if (expected.length)
        assert.deepEqual(Object.keys(res.body.runs[0]).slice(0, 11), [
          'operationId',
          'clusterId',
          'wave',
          'state',
          'fromVersion',
          'toVersion',
          'attempts',
          'error',
          'reason',
          'startedAt',
          'finishedAt',
        ]);
    });
  }

  for (const query of ['state=done', 'wave=x', 'limit=0', 'limit=1001', 'cursor=%%%', 'colour=blue']) {
    test(`when the clusters query is '${query}', then it is 400`, async () => {
      const res = await call(api.url, 'GET', `/v1/operations/${id}/clusters?${query}`, { token: TOKENS.viewer });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_failed');
    });
  }

  test('when events are read, then the start event is there with who and what', async () => {
    const res = await call(api.url, 'GET', `/v1/operations/${id}/events?limit=1`, { token: TOKENS.viewer });
    assert.equal(res.status, 200);
    assert.equal(res.body.events.length, 1);
    assert.equal(res.body.events[0].action, 'operation.start');
    assert.equal(res.body.events[0].identity, 'ada');
    assert.equal(res.body.events[0].payload.total, 4);
  });

  test('when operations are listed by name, then visibility shows this one running; a bad filter is 400', async () => {
    const name = (await api.db.query('SELECT name FROM operations WHERE id = $1', [id])).rows[0].name;
    const deadline = Date.now() + 10_000;
    let res = await call(api.url, 'GET', `/v1/operations?name=${name}&state=running`, { token: TOKENS.viewer });
    while (res.body.operations?.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      res = await call(api.url, 'GET', `/v1/operations?name=${name}&state=running`, { token: TOKENS.viewer });
    }
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.operations.map((o: any) => [o.id, o.name, o.state, o.action]),
      [[id, name, 'running', 'upgrade']],
    );
    assert.ok(res.body.operations[0].startedAt);
    for (const bad of ['state=done', "name=x'%20OR%20'1'='1", 'limit=0', 'pageToken=%%', 'sort=asc']) {
      assert.equal((await call(api.url, 'GET', `/v1/operations?${bad}`)).status, 400, bad);
    }
  });

  test('when more operations match than the limit, then nextPageToken walks the rest, newest first', async () => {
    const ids = await fleet(1);
    const name = uid('op');
    const first = await start(upgrade(ids, { name }));
    const second = await start(upgrade(ids, { name, maxFailuresTotal: 1 }));
    const pageOf = (token?: string) =>
      call(api.url, 'GET', `/v1/operations?name=${name}&limit=1${token ? `&pageToken=${token}` : ''}`);
    const deadline = Date.now() + 10_000;
    let one = await pageOf();
    while (!(one.body.nextPageToken && one.body.operations[0]?.id === second.body.id) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      one = await pageOf();
    }
    assert.deepEqual(
      one.body.operations.map((o: any) => o.id),
      [second.body.id],
    );
    const two = await pageOf(one.body.nextPageToken);
    assert.equal(two.status, 200);
    assert.deepEqual(
      two.body.operations.map((o: any) => o.id),
      [first.body.id],
    );
    assert.equal((await pageOf('bm90LWEtdG9rZW4')).status, 400);
  });
});

describe('operator actions without a worker', () => {
  test('when no worker answers, then each action is delivered as its signal (202) and audited as delivered', async () => {
    const ids = await fleet(2);
    const { body } = await start(upgrade(ids));
    const pause = await call(api.url, 'POST', `/v1/operations/${body.id}/pause`, {
      token: TOKENS.operator,
      body: { reason: 'change freeze' },
    });
    assert.equal(pause.status, 202, JSON.stringify(pause.body));
    assert.equal(pause.body.id, body.id);
    assert.equal(pause.body.name, 'pause');
    assert.equal(pause.body.outcome, 'delivered');
    assert.match(pause.body.message, /no worker answered/);
    // The workflow decides when a worker runs: the API does not guess from a state it cannot see.
    for (const path of [`clusters/${ids[0]}/skip`, 'resume', `clusters/${ids[1]}/retry`]) {
      const res = await call(api.url, 'POST', `/v1/operations/${body.id}/${path}`, { token: TOKENS.operator });
      assert.equal(res.status, 202, path);
      assert.equal(res.body.outcome, 'delivered', path);
    }
    const events = await call(api.url, 'GET', `/v1/operations/${body.id}/events`);
    assert.deepEqual(
      events.body.events.map((e: any) => [e.action, e.identity, e.payload.outcome ?? null]),
      [
        ['operation.start', 'ada', null],
        ['operation.pause', 'olga', 'delivered'],
        ['operation.skip', 'olga', 'delivered'],
        ['operation.resume', 'olga', 'delivered'],
        ['operation.retry', 'olga', 'delivered'],
      ],
    );
    assert.deepEqual(events.body.events[1].payload, {
      comment: 'change freeze',
      via: 'api',
      outcome: 'delivered',
      actionId: pause.body.actionId,
    });
    const history = await api.client.workflow.getHandle(body.id).fetchHistory();
    const signals = history
      .events!.filter((e) => e.workflowExecutionSignaledEventAttributes)
      .map((e) => e.workflowExecutionSignaledEventAttributes!.signalName);
    assert.deepEqual(signals, ['pause', 'skipCluster', 'resume', 'retryCluster']);
  });

  test('when the starter approves, then it is 403 self_approval_forbidden unless self-approval is allowed', async () => {
    const ids = await fleet(1);
    const { body } = await start(upgrade(ids, { defaults: { approval: 'manual' } }), { token: TOKENS.admin });
    const self = await call(api.url, 'POST', `/v1/operations/${body.id}/approve`, {
      token: TOKENS.admin,
      body: { wave: 1 },
    });
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, 'self_approval_forbidden');
    const lenient = await startApi({ allowSelfApproval: true });
    try {
      const allowed = await call(lenient.url, 'POST', `/v1/operations/${body.id}/approve`, {
        token: TOKENS.admin,
        body: { wave: 1 },
      });
      // Past four-eyes the workflow decides (no wave awaits approval yet); without a worker it is delivered.
      assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
      assert.equal(allowed.body.outcome, 'delivered');
    } finally {
      await lenient.close();
    }
    const noWave = await call(api.url, 'POST', `/v1/operations/${body.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 9 },
    });
    assert.equal(noWave.status, 400);
    const extra = await call(api.url, 'POST', `/v1/operations/${body.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 1, note: 'x' },
    });
    assert.equal(extra.status, 400);
  });

  test('when maxParallel is patched, then a bad value is 400 and no worker means 503, never 500', async () => {
    const ids = await fleet(1);
    const { body } = await start(upgrade(ids));
    for (const bad of [{ maxParallel: 0 }, { maxParallel: 1001 }, { maxParallel: 2, extra: true }, {}]) {
      const res = await call(api.url, 'PATCH', `/v1/operations/${body.id}`, { token: TOKENS.operator, body: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    const res = await call(api.url, 'PATCH', `/v1/operations/${body.id}`, {
      token: TOKENS.operator,
      body: { maxParallel: 5 },
    });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'workflow_unavailable');
  });

  test('when the workflow has ended, then status says so and pause or cancel are 409', async () => {
    const ids = await fleet(1);
    const { body } = await start(upgrade(ids));
    await api.client.workflow.getHandle(body.id).terminate('test');
    const s = await call(api.url, 'GET', `/v1/operations/${body.id}`);
    assert.equal(s.body.state, 'cancelled');
    assert.equal(s.body.workflowStatus, 'TERMINATED');
    for (const action of ['pause', 'cancel']) {
      const res = await call(api.url, 'POST', `/v1/operations/${body.id}/${action}`, { token: TOKENS.operator });
      assert.equal(res.status, 409, action);
      assert.equal(res.body.error.code, 'operation_finished');
    }
  });
});

describe('unknown operations and roles', () => {
  const missing = 'no-such-op-abcdef';
  const routes: [string, string, unknown?][] = [
    ['GET', `/v1/operations/${missing}`],
    ['GET', `/v1/operations/${missing}/clusters`],
    ['GET', `/v1/operations/${missing}/events`],
    ['PATCH', `/v1/operations/${missing}`, { maxParallel: 2 }],
    ['POST', `/v1/operations/${missing}/pause`],
    ['POST', `/v1/operations/${missing}/resume`],
    ['POST', `/v1/operations/${missing}/cancel`],
    ['POST', `/v1/operations/${missing}/approve`, { wave: 1 }],
    ['POST', `/v1/operations/${missing}/clusters/some-cluster/retry`],
    ['POST', `/v1/operations/${missing}/clusters/some-cluster/skip`],
  ];
  for (const [method, path, body] of routes) {
    test(`when ${method} ${path.replace(missing, ':id')} names an unknown operation, then it is 404`, async () => {
      const res = await call(api.url, method, path, { body });
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'not_found');
    });
  }

  test('when a cluster is not part of the operation, then retry and skip are 404; a malformed id is 400', async () => {
    const ids = await fleet(1);
    const { body } = await start(upgrade(ids));
    for (const action of ['retry', 'skip']) {
      assert.equal((await call(api.url, 'POST', `/v1/operations/${body.id}/clusters/not-in-it/${action}`)).status, 404);
    }
    assert.equal((await call(api.url, 'GET', '/v1/operations/Not_An_Id')).status, 400);
  });

  test('when a viewer starts or an operator approves, then it is 403; a viewer may read', async () => {
    const ids = await fleet(1);
    const viewer = await start(upgrade(ids), { token: TOKENS.viewer });
    assert.equal(viewer.status, 403);
    const { body } = await start(upgrade(ids), { token: TOKENS.operator });
    const approve = await call(api.url, 'POST', `/v1/operations/${body.id}/approve`, {
      token: TOKENS.operator,
      body: { wave: 1 },
    });
    assert.equal(approve.status, 403);
    const pause = await call(api.url, 'POST', `/v1/operations/${body.id}/pause`, { token: TOKENS.approver });
    assert.equal(pause.status, 403);
    assert.equal(
      (await call(api.url, 'GET', `/v1/operations/${body.id}/clusters`, { token: TOKENS.viewer })).status,
      200,
    );
    assert.equal((await call(api.url, 'GET', '/v1/operations', { token: null })).status, 401);
  });
});
