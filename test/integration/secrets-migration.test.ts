// The secrets-by-reference migration on a database that still holds raw secrets: planted rows are migrated by
// `migrate()` as `npm run migrate` runs it, and the secrets are gone while the rest stays.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { dropDatabase, migrate } from '../../db/migrate';
import { testEnv, uid } from '../helpers/env';

const MIGRATION = '1732500000006_secrets_by_reference';
const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'db', 'migrations');
const SECRET = 'planted-before-the-migration-51c2';

const databaseUrl = (() => {
  const url = new URL(testEnv().databaseUrl);
  url.pathname = `/${uid('fleetwave_secrets_mig').replace(/-/g, '_')}`;
  return url.toString();
})();
let db: pg.Client;

/** A fresh database with every migration before this one applied, as a deployment that predates it has. */
before(async () => {
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(new URL(databaseUrl).pathname.slice(1))}`);
  await admin.end();
  const earlier = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .findIndex((f) => f.startsWith(MIGRATION));
  assert.ok(earlier > 0);
  const { runner } = await import('node-pg-migrate');
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'fleetwave_migrations',
    direction: 'up',
    count: earlier,
    checkOrder: true,
    log: () => undefined,
  });
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
});
after(async () => {
  await db?.end();
  await dropDatabase(databaseUrl);
});

async function plantCluster(id: string, adapter: unknown): Promise<void> {
  await db.query(
    `INSERT INTO clusters (id, name, kind, cloud, region, environment, version, adapter, updated_at)
     VALUES ($1, $1, 'kafka', 'aws', 'us-east-1', 'prod', '3.6.0', $2::jsonb, '2024-01-01T00:00:00Z')`,
    [id, JSON.stringify(adapter)],
  );
}

async function plantAudit(action: string, targetId: string, payload: unknown): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO audit_events (identity, role, action, target_type, target_id, payload)
     VALUES ('olga', 'operator', $1, 'cluster', $2, $3::jsonb) RETURNING id`,
    [action, targetId, JSON.stringify(payload)],
  );
  return Number(rows[0]!.id);
}

test('when clusters and audit payloads hold raw secrets, then the migration removes them, keeps the rest, and names the clusters that need a tokenRef', async () => {
  const withToken = {
    type: 'http',
    config: { baseUrl: 'https://cp.example', token: SECRET, timeoutMs: 5000 },
  };
  await plantCluster('a-token', withToken);
  await plantCluster('b-nested', {
    type: 'simulated',
    config: { applyMs: 10, auth: { user: 'svc', password: SECRET }, headers: [{ 'X-Api-Key': SECRET, name: 'h' }] },
  });
  const clean = { type: 'http', config: { baseUrl: 'https://cp.example', tokenRef: 'cp_prod' } };
  await plantCluster('c-clean', clean);
  const upsert = await plantAudit('cluster.upsert', 'a-token', { id: 'a-token', name: 'a', adapter: withToken });
  const patch = await plantAudit('cluster.patch', 'b-nested', {
    adapter: { type: 'simulated', config: { applyMs: 10, Credentials: { key: SECRET } } },
  });
  // Outside any adapter config a key is left alone: a selector's label is data, not a credential.
  const unrelated = { selector: { labels: { 'token-tier': 'gold' } } };
  const other = await plantAudit('operation.start', 'op-1', unrelated);

  const notices: string[] = [];
  const result = await migrate(databaseUrl, (line) => notices.push(line));
  assert.ok(result.applied.includes(MIGRATION), result.applied.join(', '));

  // The operator hears which clusters need a tokenRef, and which keys they lost.
  assert.deepEqual(
    notices.filter((n) => n.includes(SECRET)),
    [],
  );
  assert.ok(
    notices.some((n) => /notice: cluster a-token: removed adapter\.config\.token from its adapter config/.test(n)),
  );
  assert.ok(
    notices.some((n) =>
      /notice: cluster b-nested: removed adapter\.config\.auth, adapter\.config\.headers\.0\.X-Api-Key/.test(n),
    ),
  );
  assert.ok(
    notices.some((n) => /2 cluster\(s\) lost a secret/.test(n)),
    notices.join('\n'),
  );
  assert.ok(!notices.some((n) => n.includes('c-clean')));

  const clusters = await db.query<{ id: string; adapter: any; updated_at: Date }>(
    'SELECT id, adapter, updated_at FROM clusters ORDER BY id',
  );
  assert.deepEqual(
    clusters.rows.map((r) => [r.id, r.adapter]),
    [
      ['a-token', { type: 'http', config: { baseUrl: 'https://cp.example', timeoutMs: 5000 } }],
      ['b-nested', { type: 'simulated', config: { applyMs: 10, headers: [{ name: 'h' }] } }],
      ['c-clean', clean],
    ],
  );
  assert.equal(
    clusters.rows[2]!.updated_at.toISOString(),
    '2024-01-01T00:00:00.000Z',
    'an untouched row keeps its time',
  );

  const audit = await db.query<{
    id: string;
    action: string;
    identity: string;
    role: string;
    target_id: string;
    payload: any;
  }>('SELECT id, action, identity, role, target_id, payload FROM audit_events ORDER BY id');
  const byId = new Map(audit.rows.map((r) => [Number(r.id), r]));
  assert.deepEqual(byId.get(upsert)!.payload, {
    id: 'a-token',
    name: 'a',
    adapter: { type: 'http', config: { baseUrl: 'https://cp.example', timeoutMs: 5000 } },
  });
  assert.deepEqual(byId.get(patch)!.payload, { adapter: { type: 'simulated', config: { applyMs: 10 } } });
  assert.deepEqual(byId.get(other)!.payload, unrelated);
  const removed = audit.rows.filter((r) => r.action === 'cluster.secret_removed');
  assert.deepEqual(
    removed.map((r) => [r.identity, r.role, r.target_id, r.payload]),
    [
      ['fleetwave', 'system', 'a-token', { removedKeys: ['adapter.config.token'], needs: 'adapter.config.tokenRef' }],
      [
        'fleetwave',
        'system',
        'b-nested',
        {
          removedKeys: ['adapter.config.auth', 'adapter.config.headers.0.X-Api-Key'],
          needs: 'adapter.config.tokenRef',
        },
      ],
    ],
  );

  const everything = await db.query<{ row: string }>(
    'SELECT c::text AS row FROM clusters c UNION ALL SELECT a::text FROM audit_events a',
  );
  assert.ok(!everything.rows.some((r) => r.row.includes(SECRET)), 'no trace of the secret is left');

  // Applied once: a second run finds nothing to do and says nothing.
  const again: string[] = [];
  assert.deepEqual((await migrate(databaseUrl, (line) => again.push(line))).applied, []);
  assert.deepEqual(again, []);
});
