// `npm run seed`: loads the demo fleet when the inventory is empty (or always, with --force).
import { loadConfig } from '../config';
import { countClusters, upsertClusters } from '../db/clusters';
import { recordAudit } from '../db/audit';
import { createPool, withTransaction, type Db } from '../db/pool';
import { demoFleet } from '../domain/demo-fleet';
import { refuseSecretsInInventory } from '../domain/secrets';

export async function seedDemoFleet(db: Db, force = false): Promise<number> {
  if (!force && (await countClusters(db)) > 0) return 0;
  const fleet = demoFleet();
  // The same refusal as POST /v1/clusters: a demo fleet edited to carry a token must not store it.
  refuseSecretsInInventory(fleet, (i) => `clusters.${i}`);
  await withTransaction(db, async (tx) => {
    await upsertClusters(tx, fleet);
    await recordAudit(tx, {
      identity: 'system',
      role: 'admin',
      action: 'cluster.seed',
      targetType: 'system',
      targetId: 'demo-fleet',
      payload: { count: fleet.length },
    });
  });
  return fleet.length;
}

if (require.main === module) {
  const db = createPool(loadConfig().databaseUrl, 2);
  seedDemoFleet(db, process.argv.includes('--force'))
    .then((n) => console.log(n ? `seeded ${n} demo clusters` : 'inventory is not empty: nothing seeded (use --force)'))
    .catch((err: unknown) => {
      console.error(`seeding failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    })
    .finally(() => void db.end());
}
