// /v1/clusters: parse with the domain schemas, call the inventory service, answer.
import { Router } from 'express';
import type { Actor } from '../../domain/auth';
import {
  ClusterBulkInputSchema,
  ClusterIdSchema,
  ClusterInputSchema,
  ClusterListQuerySchema,
  ClusterPatchSchema,
} from '../../domain/cluster';
import { requireRole } from '../middleware/auth';
import type { InventoryService } from '../services/inventory';
import { actorOf, parseOrThrow } from './parse';

export function clustersRouter(inventory: InventoryService): Router {
  const router = Router();

  router.post('/', requireRole('operator'), async (req, res) => {
    const body: unknown = req.body;
    const isBulk = typeof body === 'object' && body !== null && 'clusters' in body;
    const actor: Actor = actorOf(res);
    if (isBulk) {
      const { clusters } = parseOrThrow(ClusterBulkInputSchema, body);
      const saved = await inventory.upsert(actor, clusters, { bulk: true });
      res.status(201).json({ clusters: saved, count: saved.length });
    } else {
      const cluster = parseOrThrow(ClusterInputSchema, body);
      const [saved] = await inventory.upsert(actor, [cluster]);
      res.status(201).json(saved);
    }
  });

  router.get('/', requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(ClusterListQuerySchema, req.query);
    res.json(await inventory.list(query.filter, query.limit, query.cursor));
  });

  router.get('/:id', requireRole('viewer'), async (req, res) => {
    const id = parseOrThrow(ClusterIdSchema, req.params.id, 'id');
    res.json(await inventory.get(id));
  });

  router.patch('/:id', requireRole('operator'), async (req, res) => {
    const id = parseOrThrow(ClusterIdSchema, req.params.id, 'id');
    const patch = parseOrThrow(ClusterPatchSchema, req.body);
    res.json(await inventory.patch(actorOf(res), id, patch));
  });

  router.delete('/:id', requireRole('operator'), async (req, res) => {
    const id = parseOrThrow(ClusterIdSchema, req.params.id, 'id');
    await inventory.remove(actorOf(res), id);
    res.status(204).end();
  });

  return router;
}
