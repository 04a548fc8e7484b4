// The inventory API over real HTTP against real PostgreSQL: routes, filters, pagination, errors, audit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

let api: TestApi;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api.close();
});

async function auditFor(targetId: string) {
  const { rows } = await api.db.query<{ identity: string; action: string; payload: unknown }>(
    'SELECT identity, action, payload FROM audit_events WHERE target_id = $1 ORDER BY id',
    [targetId],
  );
  return rows;
}

describe('POST /v1/clusters', () => {
  test('when one valid cluster is posted, then it is created (201) with defaults and audited', async () => {
    const body = clusterBody();
    const res = await call(api.url, 'POST', '/v1/clusters', { body, token: TOKENS.operator });
    assert.equal(res.status, 201);
    assert.equal(res.body.id, body.id);
    assert.equal(res.body.version, '3.6.0');
    assert.deepEqual(res.body.maintenanceWindows, []);
    assert.ok(res.body.createdAt);
    const audit = await auditFor(body.id);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.identity, 'olga');
    assert.equal(audit[0]!.action, 'cluster.upsert');
  });

  test('when the same id is posted again, then the cluster is replaced and keeps its createdAt', async () => {
    const body = clusterBody();
    const first = await call(api.url, 'POST', '/v1/clusters', { body });
    const second = await call(api.url, 'POST', '/v1/clusters', { body: { ...body, version: '3.7.0', labels: {} } });
    assert.equal(second.status, 201);
    assert.equal(second.body.version, '3.7.0');
    assert.deepEqual(second.body.labels, {});
    assert.equal(second.body.createdAt, first.body.createdAt);
  });

  test('when a bulk body is posted, then every cluster is created in one go', async () => {
    const clusters = [clusterBody(), clusterBody({ cloud: 'gcp', region: 'us-central1' }), clusterBody({ tier: null })];
    const res = await call(api.url, 'POST', '/v1/clusters', { body: { clusters } });
    assert.equal(res.status, 201);
    assert.equal(res.body.count, 3);
    assert.deepEqual(
      res.body.clusters.map((c: { id: string }) => c.id),
      clusters.map((c) => c.id),
    );
    assert.equal(res.body.clusters[2].tier, null);
  });

  test('when one cluster of a bulk body is invalid, then nothing is created and the detail names it', async () => {
    const good = clusterBody();
    const bad = clusterBody({ version: 'latest' });
    const res = await call(api.url, 'POST', '/v1/clusters', { body: { clusters: [good, bad] } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.ok(res.body.error.details.some((d: { path: string }) => d.path === 'clusters.1.version'));
    assert.equal((await call(api.url, 'GET', `/v1/clusters/${good.id}`)).status, 404);
  });

  const invalid: [string, unknown][] = [
    ['an unknown field', { ...clusterBody(), colour: 'blue' }],
    ['an id with capitals', clusterBody({ id: 'Bad-ID' })],
    ['a missing name', { ...clusterBody(), name: undefined }],
    ['a non-semver version', clusterBody({ version: '3.6' })],
    ['an unknown adapter type', clusterBody({ adapter: { type: 'ssh', config: {} } as never })],
    ['labels that are not strings', clusterBody({ labels: { team: 7 } as never })],
    [
      'a maintenance window with a bad day',
      clusterBody({ maintenanceWindows: [{ days: ['funday'], start: '02:00', end: '04:00' }] as never }),
    ],
    ['an empty bulk list', { clusters: [] }],
    ['an array body', [clusterBody()]],
  ];
  for (const [what, body] of invalid) {
    test(`when the body has ${what}, then it is 400 validation_failed and nothing is written`, async () => {
      const res = await call(api.url, 'POST', '/v1/clusters', { body });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.ok(typeof res.body.error.message === 'string');
      const ids = [body, ...((body as { clusters?: unknown[] }).clusters ?? [])]
        .flat()
        .map((b) => (b as { id?: string }).id);
      const written = await api.db.query(
        'SELECT (SELECT count(*) FROM clusters WHERE id = ANY($1))::int + (SELECT count(*) FROM audit_events WHERE target_id = ANY($1))::int AS n',
        [ids.filter(Boolean)],
      );
      assert.equal(written.rows[0].n, 0);
    });
  }

  test('when a bulk body repeats an id, then it is 400', async () => {
    const c = clusterBody();
    const res = await call(api.url, 'POST', '/v1/clusters', { body: { clusters: [c, c] } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details[0].path, c.id);
  });

  test('when the body is not JSON, then it is 400 invalid_json; when not declared JSON, 415', async () => {
    const broken = await call(api.url, 'POST', '/v1/clusters', {
      rawBody: '{"id": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'invalid_json');
    const text = await call(api.url, 'POST', '/v1/clusters', {
      rawBody: 'id=x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'unsupported_media_type');
  });

  test('when the body is larger than the limit, then it is 413 and no stack trace leaks', async () => {
    const res = await call(api.url, 'POST', '/v1/clusters', {
      body: { clusters: [], pad: 'x'.repeat(6 * 1024 * 1024) },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
    assert.doesNotMatch(JSON.stringify(res.body), /at .*\.ts:\d+/);
  });
});

describe('GET /v1/clusters', () => {
  const team = uid('team');
  const fleet = [
    clusterBody({ id: `${team}-a`, cloud: 'aws', environment: 'internal', labels: { team, tier: 'gold' } }),
    clusterBody({ id: `${team}-b`, cloud: 'gcp', region: 'europe-west1', environment: 'customer', labels: { team } }),
    clusterBody({
      id: `${team}-c`,
      cloud: 'gcp',
      region: 'us-central1',
      environment: 'customer',
      kind: 'connect',
      labels: { team },
    }),
    clusterBody({
      id: `${team}-d`,
      cloud: 'azure',
      region: 'eastus',
      environment: 'customer',
      tier: 'dedicated',
      version: '3.6.2',
      labels: { team },
    }),
    clusterBody({
      id: `${team}-e`,
      cloud: 'aws',
      environment: 'customer',
      tier: 'basic',
      labels: { team, tier: 'gold' },
    }),
  ];
  before(async () => {
    const res = await call(api.url, 'POST', '/v1/clusters', { body: { clusters: fleet } });
    assert.equal(res.status, 201);
  });

  const ids = async (query: string, token: string = TOKENS.viewer) => {
    const res = await call(api.url, 'GET', `/v1/clusters?label.team=${team}&${query}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.clusters.map((c: { id: string }) => c.id.slice(team.length + 1)).join('');
  };

  const cases: [string, string][] = [
    ['', 'abcde'],
    ['cloud=gcp', 'bc'],
    ['cloud=gcp,azure', 'bcd'],
    ['cloud=aws&cloud=azure', 'ade'],
    ['environment=customer&cloud=aws', 'e'],
    ['kind=connect', 'c'],
    ['region=europe-west1', 'b'],
    ['tier=dedicated', 'd'],
    ['version=3.6.2', 'd'],
    ['label.tier=gold', 'ae'],
    ['cloud=oracle', ''],
  ];
  for (const [query, expected] of cases) {
    test(`when filtered by '${query || 'label only'}', then exactly '${expected || 'none'}' come back`, async () => {
      assert.equal(await ids(query), expected);
    });
  }

  test('when paginated with limit=2, then the cursor walks every page once, in id order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/clusters?label.team=${team}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(api.url, 'GET', q, { token: TOKENS.viewer });
      assert.equal(res.status, 200);
      seen.push(...res.body.clusters.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      fleet.map((c) => c.id),
    );
  });

  for (const query of ['colour=blue', 'limit=0', 'limit=1001', 'limit=ten', 'cursor=%%%', 'label.=x']) {
    test(`when the query is '${query}', then it is 400 validation_failed`, async () => {
      const res = await call(api.url, 'GET', `/v1/clusters?${query}`, { token: TOKENS.viewer });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_failed');
    });
  }
});

describe('GET, PATCH and DELETE /v1/clusters/:id', () => {
  test('when a cluster exists, then GET shows it with its lease and recent runs', async () => {
    const body = clusterBody();
    await call(api.url, 'POST', '/v1/clusters', { body });
    await api.db.query(
      `INSERT INTO cluster_runs (operation_id, cluster_id, wave, state, from_version, to_version, attempts)
       VALUES ($1, $2, 1, 'succeeded', '3.5.0', '3.6.0', 1)`,
      [uid('op'), body.id],
    );
    const res = await call(api.url, 'GET', `/v1/clusters/${body.id}`, { token: TOKENS.viewer });
    assert.equal(res.status, 200);
    assert.equal(res.body.lease, null);
    assert.equal(res.body.runs.length, 1);
    assert.equal(res.body.runs[0].state, 'succeeded');
  });

  test('when the id does not exist, then GET, PATCH and DELETE are 404; a malformed id is 400', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call(api.url, method, '/v1/clusters/no-such-cluster', {
        body: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error.code, 'not_found');
    }
    const bad = await call(api.url, 'GET', '/v1/clusters/NOT_VALID');
    assert.equal(bad.status, 400);
  });

  test('when patched, then only the given fields change and the change is audited', async () => {
    const body = clusterBody();
    await call(api.url, 'POST', '/v1/clusters', { body });
    const res = await call(api.url, 'PATCH', `/v1/clusters/${body.id}`, {
      body: { version: '3.6.9', labels: { team: 'search' } },
      token: TOKENS.operator,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.version, '3.6.9');
    assert.deepEqual(res.body.labels, { team: 'search' });
    assert.equal(res.body.name, body.name);
    const audit = await auditFor(body.id);
    assert.deepEqual(
      audit.map((a) => a.action),
      ['cluster.upsert', 'cluster.patch'],
    );
    assert.deepEqual(audit[1]!.payload, { version: '3.6.9', labels: { team: 'search' } });
  });

  for (const [what, patch] of [
    ['is empty', {}],
    ['has an unknown field', { owner: 'me' }],
    ['tries to change the id', { id: 'other' }],
    ['has a bad cloud', { cloud: 'AWS!' }],
  ] as const) {
    test(`when a patch ${what}, then it is 400 and the cluster is unchanged`, async () => {
      const body = clusterBody();
      await call(api.url, 'POST', '/v1/clusters', { body });
      const res = await call(api.url, 'PATCH', `/v1/clusters/${body.id}`, { body: patch });
      assert.equal(res.status, 400);
      const now = await call(api.url, 'GET', `/v1/clusters/${body.id}`);
      assert.equal(now.body.updatedAt, now.body.createdAt);
    });
  }

  test('when a cluster is leased, then PATCH, DELETE and replace are 409 and nothing changes', async () => {
    const body = clusterBody();
    await call(api.url, 'POST', '/v1/clusters', { body });
    const op = uid('op');
    await api.db.query('INSERT INTO leases (cluster_id, operation_id, workflow_id) VALUES ($1, $2, $2)', [body.id, op]);
    const patch = await call(api.url, 'PATCH', `/v1/clusters/${body.id}`, { body: { version: '9.9.9' } });
    assert.equal(patch.status, 409);
    assert.equal(patch.body.error.code, 'cluster_leased');
    assert.match(patch.body.error.message, new RegExp(op));
    const del = await call(api.url, 'DELETE', `/v1/clusters/${body.id}`);
    assert.equal(del.status, 409);
    const replace = await call(api.url, 'POST', '/v1/clusters', { body: { ...body, version: '9.9.9' } });
    assert.equal(replace.status, 409);
    const now = await call(api.url, 'GET', `/v1/clusters/${body.id}`);
    assert.equal(now.body.version, '3.6.0');
    assert.equal(now.body.lease.operationId, op);
    assert.deepEqual(
      (await auditFor(body.id)).map((a) => a.action),
      ['cluster.upsert'],
    );
  });

  test('when deleted, then it is 204, gone, and audited', async () => {
    const body = clusterBody();
    await call(api.url, 'POST', '/v1/clusters', { body });
    const res = await call(api.url, 'DELETE', `/v1/clusters/${body.id}`, { token: TOKENS.operator });
    assert.equal(res.status, 204);
    assert.equal((await call(api.url, 'GET', `/v1/clusters/${body.id}`)).status, 404);
    assert.deepEqual(
      (await auditFor(body.id)).map((a) => a.action),
      ['cluster.upsert', 'cluster.delete'],
    );
  });
});

describe('routes that do not exist', () => {
  test('when a path is unknown, then it is 404 in the error shape', async () => {
    const res = await call(api.url, 'GET', '/v1/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });
});
