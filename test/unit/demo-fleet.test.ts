// The demo fleet: realistic spread, and the importable file in docs/ never drifts from the seed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { ClusterBulkInputSchema } from '../../domain/cluster';
import { demoFleet } from '../../domain/demo-fleet';

test('when the demo fleet is built, then it spans three clouds, internal and customer, several tiers and 3.6.x', () => {
  const fleet = demoFleet();
  assert.equal(fleet.length, 60);
  assert.deepEqual([...new Set(fleet.map((c) => c.cloud))].sort(), ['aws', 'azure', 'gcp']);
  assert.deepEqual([...new Set(fleet.map((c) => c.environment))].sort(), ['customer', 'internal']);
  assert.ok(new Set(fleet.map((c) => c.tier)).size >= 3);
  assert.ok(fleet.every((c) => c.version.startsWith('3.6.')));
  assert.equal(new Set(fleet.map((c) => c.id)).size, 60);
});

test('when docs/demo-fleet.yaml is read, then it is valid and equals the fleet npm run dev seeds', () => {
  const file = YAML.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'demo-fleet.yaml'), 'utf8'),
  ) as unknown;
  assert.deepEqual(ClusterBulkInputSchema.parse(file).clusters, demoFleet());
});
