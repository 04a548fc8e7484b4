// The /v1/guard routes over real HTTP: only an admin changes the guard, bad input is a 400 that changes
// nothing, a freeze name is taken once (409) and deleting an unknown one is a 404, a stale If-Match is a
// 412, every change is audited with before and after, and what is stored is what another API process reads.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { acquireGuardedLease } from '../../db/leases';
import { createPool } from '../../db/pool';
import { scopeMatches, type GuardScope } from '../../domain/guard';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';
import { dropLimits, editLimits, ownKind, putLimit } from '../helpers/guard';

const api = {} as TestApi;
const limits: string[] = [];
const freezes: string[] = [];
before(async () => {
  Object.assign(api, await startApi());
});
after(async () => {
  await dropLimits(api, limits).catch(() => undefined);
  for (const name of freezes) await call(api.url, 'DELETE', `/v1/guard/freezes/${name}`);
  await api.close();
});

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const inTwoHours = () => new Date(Date.now() + 7_200_000).toISOString();
const freezeBody = (name: string, kind: string) => ({
  name,
  from: inAnHour(),
  to: inTwoHours(),
  scope: { kind },
  reason: 'quiet period',
});

async function guardEvents(action: string, since: number) {
  const { rows } = await api.db.query<{ identity: string; role: string; target_type: string; payload: any }>(
    `SELECT identity, role, target_type, payload FROM audit_events WHERE action = $1 AND id > $2 ORDER BY id`,
    [action, since],
  );
  return rows;
}
const lastAuditId = async () =>
  Number((await api.db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM audit_events')).rows[0]!.id);

describe('who may change the guard', () => {
  test('when a viewer, an operator or an approver writes, then 403; any role reads; no token is a 401', async () => {
    const kind = ownKind();
    const body = { limits: [{ name: uid('l'), scope: { kind }, maxInFlight: 1 }] };
    for (const token of [TOKENS.viewer, TOKENS.operator, TOKENS.approver]) {
      const put = await call(api.url, 'PUT', '/v1/guard/limits', { token, body });
      assert.equal(put.status, 403, JSON.stringify(put.body));
      assert.equal(put.body.error.code, 'forbidden');
      const post = await call(api.url, 'POST', '/v1/guard/freezes', { token, body: freezeBody(uid('f'), kind) });
      assert.equal(post.status, 403);
      assert.equal((await call(api.url, 'DELETE', `/v1/guard/freezes/${uid('f')}`, { token })).status, 403);
      assert.equal((await call(api.url, 'GET', '/v1/guard', { token })).status, 200);
    }
    assert.equal((await call(api.url, 'GET', '/v1/guard', { token: null })).status, 401);
    const shown = await call(api.url, 'GET', '/v1/guard');
    assert.ok(!shown.body.limits.some((l: any) => l.name === body.limits[0]!.name), 'a refused PUT stored a limit');
  });
});

describe('limits', () => {
  test('when limits are set, then GET shows them with usage, the audit row has before and after, and another API process reads the same', async () => {
    const kind = ownKind();
    const name = uid('l');
    limits.push(name);
    const since = await lastAuditId();
    const answer = await putLimit(api, { name, scope: { cloud: 'gcp', kind }, maxInFlight: 20, maxFailuresPerHour: 5 });
    const stored = answer.limits.find((l: any) => l.name === name);
    assert.deepEqual(
      { ...stored, updatedAt: typeof stored.updatedAt },
      {
        name,
        scope: { cloud: 'gcp', kind },
        maxInFlight: 20,
        maxFailuresPerHour: 5,
        updatedBy: 'ada',
        updatedAt: 'string',
      },
    );
    assert.deepEqual(
      answer.usage.find((u: any) => u.limit === name),
      { limit: name, inFlight: 0, failuresLastHour: 0 },
    );
    assert.match(answer.version, /^[0-9a-f]{16}$/);

    const [event] = (await guardEvents('guard.set_limits', since)).filter((e) =>
      e.payload.after.some((l: any) => l.name === name),
    );
    assert.ok(event, 'no audit row for the change');
    assert.deepEqual([event.identity, event.role, event.target_type], ['ada', 'admin', 'system']);
    assert.ok(!event.payload.before.some((l: any) => l.name === name), 'before already held the new limit');

    // A second API process (as after a restart) reads what PostgreSQL holds.
    const other = await startApi();
    try {
      const there = await call(other.url, 'GET', '/v1/guard', { token: TOKENS.viewer });
      assert.deepEqual(
        there.body.limits.find((l: any) => l.name === name),
        stored,
      );
    } finally {
      await other.close();
    }

    await dropLimits(api, [name]);
    const removal = (await guardEvents('guard.set_limits', since)).find(
      (e) =>
        e.payload.before.some((l: any) => l.name === name && l.maxInFlight === 20) &&
        !e.payload.after.some((l: any) => l.name === name),
    );
    assert.ok(removal, 'no audit row for the removal, with the limit in before');
  });

  test('when the body is not valid, then 400 validation_failed with the field, and nothing changes', async () => {
    const before = (await call(api.url, 'GET', '/v1/guard')).body.version;
    const one = { name: uid('l'), scope: { kind: ownKind() }, maxInFlight: 2 };
    const cases: [string, unknown, string][] = [
      ['two limits share a name', { limits: [one, { ...one, maxInFlight: 3 }] }, 'limits.1.name'],
      ['a limit sets no maximum', { limits: [{ name: one.name, scope: one.scope }] }, 'limits.0.maxInFlight'],
      ['maxInFlight is 0', { limits: [{ ...one, maxInFlight: 0 }] }, 'limits.0.maxInFlight'],
      [
        'maxFailuresPerHour is not whole',
        { limits: [{ ...one, maxFailuresPerHour: 0.5 }] },
        'limits.0.maxFailuresPerHour',
      ],
      ['a scope names a field clusters lack', { limits: [{ ...one, scope: { team: 'core' } }] }, 'limits.0.scope'],
      [
        'a scope value is upper case',
        { limits: [{ ...one, scope: { environment: 'Customer' } }] },
        'limits.0.scope.environment',
      ],
      ['limits is missing', {}, 'limits'],
    ];
    for (const [what, body, path] of cases) {
      const res = await call(api.url, 'PUT', '/v1/guard/limits', { body });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'validation_failed', what);
      assert.ok(
        res.body.error.details.some((d: any) => d.path === path),
        `${what}: ${JSON.stringify(res.body.error.details)}`,
      );
    }
    assert.equal((await call(api.url, 'GET', '/v1/guard')).body.version, before);
  });

  test('when If-Match names a version the limits no longer have, then 412 and nothing changes', async () => {
    const name = uid('l');
    limits.push(name);
    const read = (await call(api.url, 'GET', '/v1/guard')).body;
    await putLimit(api, { name, maxFailuresPerHour: 100, scope: { kind: ownKind() } });
    const stale = await call(api.url, 'PUT', '/v1/guard/limits', {
      body: { limits: [] },
      headers: { 'if-match': `"${read.version}"` },
    });
    assert.equal(stale.status, 412, JSON.stringify(stale.body));
    assert.equal(stale.body.error.code, 'precondition_failed');
    const now = (await call(api.url, 'GET', '/v1/guard')).body;
    assert.ok(
      now.limits.some((l: any) => l.name === name),
      'a refused PUT removed the limits',
    );
    // With the current version the change goes through (editLimits sends it).
    await editLimits(api, (current) => current.filter((l) => l.name !== name));
    assert.ok(!(await call(api.url, 'GET', '/v1/guard')).body.limits.some((l: any) => l.name === name));
  });
});

describe('freezes', () => {
  test('when a freeze is added and deleted, then GET shows it upcoming, a second one of that name is a 409, and both changes are audited', async () => {
    const kind = ownKind();
    const name = uid('f');
    freezes.push(name);
    const since = await lastAuditId();
    const created = await call(api.url, 'POST', '/v1/guard/freezes', { body: freezeBody(name, kind) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.name, created.body.state, created.body.createdBy], [name, 'upcoming', 'ada']);
    assert.deepEqual(created.body.scope, { kind });
    const listed = (await call(api.url, 'GET', '/v1/guard', { token: TOKENS.viewer })).body.freezes;
    assert.deepEqual(
      listed.find((f: any) => f.name === name),
      created.body,
    );

    const again = await call(api.url, 'POST', '/v1/guard/freezes', { body: freezeBody(name, ownKind()) });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'freeze_exists');

    assert.equal((await call(api.url, 'DELETE', `/v1/guard/freezes/${name}`)).status, 204);
    const gone = await call(api.url, 'DELETE', `/v1/guard/freezes/${name}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'not_found');

    const [added] = await guardEvents('guard.freeze', since);
    assert.deepEqual([added?.payload.before, added?.payload.after.name], [null, name]);
    const [removed] = await guardEvents('guard.unfreeze', since);
    assert.deepEqual([removed?.payload.before.name, removed?.payload.after], [name, null]);
  });

  test('when a freeze is not valid, then 400 with the field, and nothing is stored', async () => {
    const name = uid('f');
    const from = inAnHour();
    const cases: [string, Record<string, unknown>, string][] = [
      ['to is before from', { from, to: new Date(Date.parse(from) - 1000).toISOString() }, 'to'],
      ['to equals from', { from, to: from }, 'to'],
      ['there is no reason', { reason: undefined }, 'reason'],
      ['from has no offset', { from: '2030-01-01T00:00:00' }, 'from'],
      ['the name is not a name', { name: 'Not A Name' }, 'name'],
    ];
    for (const [what, patch, path] of cases) {
      const res = await call(api.url, 'POST', '/v1/guard/freezes', {
        body: { ...freezeBody(name, ownKind()), ...patch },
      });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.ok(
        res.body.error.details.some((d: any) => d.path === path),
        `${what}: ${JSON.stringify(res.body)}`,
      );
    }
    assert.ok(!(await call(api.url, 'GET', '/v1/guard')).body.freezes.some((f: any) => f.name === name));
    const badName = await call(api.url, 'DELETE', '/v1/guard/freezes/Not%20A%20Name');
    assert.equal(badName.status, 400);
  });
});

/** The real `fleetwave` CLI as a child process against this API, as an admin. */
function fleetwave(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.join(__dirname, '..', '..', 'cli', 'bin.js');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, FLEETWAVE_URL: api.url, FLEETWAVE_TOKEN: TOKENS.admin } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('fleetwave guard', () => {
  test('when an admin freezes, shows and unfreezes through the CLI, then the API holds what it said; a bad limits file is refused before sending', async () => {
    const kind = ownKind();
    const name = uid('f');
    freezes.push(name);
    const to = inTwoHours();
    const frozen = await fleetwave([
      'guard',
      'freeze',
      name,
      '--to',
      to,
      '--reason',
      'cli check',
      '--scope',
      `kind=${kind}`,
    ]);
    assert.equal(frozen.code, 0, frozen.stderr);
    assert.match(frozen.stdout, new RegExp(`freeze ${name} active`));
    const shown = await fleetwave(['guard']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`${name}\\s+active\\s+\\S+\\s+${to.slice(0, 19)}Z\\s+kind=${kind}\\s+cli check`),
    );
    const stored = (await call(api.url, 'GET', '/v1/guard')).body.freezes.find((f: any) => f.name === name);
    assert.deepEqual([stored.scope, stored.reason, stored.createdBy], [{ kind }, 'cli check', 'ada']);
    const removed = await fleetwave(['guard', 'unfreeze', name]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!(await call(api.url, 'GET', '/v1/guard')).body.freezes.some((f: any) => f.name === name));

    const file = path.join(tmpdir(), `${uid('limits')}.yaml`);
    await writeFile(file, '- name: a\n  scope: { kind: x }\n');
    const refused = await fleetwave(['guard', 'set-limits', '--file', file]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /maxInFlight/);
  });
});

describe('the guard in PostgreSQL', () => {
  test('when a scope is compared in SQL, then it holds exactly the clusters scopeMatches says', async () => {
    const cluster = { cloud: 'gcp', region: 'us-east1', environment: 'customer', tier: null, kind: 'kafka' };
    const scopes: GuardScope[] = [
      {},
      { cloud: 'gcp' },
      { cloud: 'aws' },
      { cloud: 'gcp', environment: 'customer', kind: 'kafka', region: 'us-east1' },
      { region: 'eu-west1' },
      { tier: 'dedicated' },
      { kind: 'connect', cloud: 'gcp' },
    ];
    for (const tier of [null, 'dedicated']) {
      for (const scope of scopes) {
        const { rows } = await api.db.query<{ holds: boolean }>(
          'SELECT guard_scope_holds($1, $2, $3, $4, $5, $6) AS holds',
          [JSON.stringify(scope), cluster.cloud, cluster.region, cluster.environment, tier, cluster.kind],
        );
        assert.equal(
          rows[0]!.holds === true,
          scopeMatches(scope, { ...cluster, tier }),
          `${JSON.stringify(scope)} tier ${tier}`,
        );
      }
    }
  });

  test('when 30 selects race for clusters of one scope at once, then exactly maxInFlight of them take a lease', async () => {
    const kind = ownKind();
    const name = uid('race');
    limits.push(name);
    const clusters = Array.from({ length: 30 }, (_, i) => clusterBody({ id: `${kind}-${i}`, kind }));
    assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: { clusters } })).status, 201);
    await putLimit(api, { name, scope: { kind }, maxInFlight: 3 });
    // Each taker on a connection of its own, as selects on several workers are.
    const pool = createPool(testEnv().databaseUrl, 12);
    try {
      const results = await Promise.all(
        clusters.map((c, i) =>
          acquireGuardedLease(pool, { clusterId: c.id, operationId: `race-op-${i % 2}`, workflowId: 'w' }, () =>
            Promise.resolve(false),
          ),
        ),
      );
      const taken = results.filter((r) => r.acquired).length;
      assert.equal(taken, 3);
      for (const r of results)
        if (!r.acquired) assert.deepEqual('guard' in r && r.guard, { kind: 'full', limit: name });
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM leases WHERE kind = $1', [kind]);
      assert.equal(rows[0].n, 3);
    } finally {
      await pool.query('DELETE FROM leases WHERE cluster_id = ANY($1)', [clusters.map((c) => c.id)]);
      await pool.query('DELETE FROM clusters WHERE kind = $1', [kind]);
      await pool.end();
    }
  });
});
