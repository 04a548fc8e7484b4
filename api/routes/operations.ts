// /v1/operations: parse params, queries and bodies with the domain schemas, call the operations service, answer.
import { Router, type Request } from 'express';
import { ClusterIdSchema } from '../../domain/cluster';
import { OperationRequestSchema } from '../../domain/operation';
import {
  ActionBodySchema,
  ApproveBodySchema,
  EventListQuerySchema,
  IdempotencyKeySchema,
  OperationIdSchema,
  OperationListQuerySchema,
  PatchOperationBodySchema,
  RunListQuerySchema,
  StartQuerySchema,
} from '../../domain/operation-requests';
import { requireRole } from '../middleware/auth';
import type { OperationsService } from '../services/operations';
import { actorOf, parseOrThrow } from './parse';

const opId = (req: Request) => parseOrThrow(OperationIdSchema, req.params.id, 'id');
const clusterId = (req: Request) => parseOrThrow(ClusterIdSchema, req.params.clusterId, 'clusterId');

export function operationsRouter(ops: OperationsService): Router {
  const router = Router();

  router.post('/', requireRole('operator'), async (req, res) => {
    const { dryRun } = parseOrThrow(StartQuerySchema, req.query);
    const idempotencyKey = parseOrThrow(IdempotencyKeySchema.optional(), req.get('idempotency-key'), 'Idempotency-Key');
    const request = parseOrThrow(OperationRequestSchema, req.body);
    const result = await ops.start(actorOf(res), request, { dryRun, idempotencyKey });
    res.status(result.outcome === 'created' ? 201 : 200).json(result.body);
  });

  router.get('/', requireRole('viewer'), async (req, res) => {
    res.json(await ops.list(parseOrThrow(OperationListQuerySchema, req.query)));
  });

  router.get('/:id', requireRole('viewer'), async (req, res) => {
    res.json(await ops.status(opId(req)));
  });

  router.patch('/:id', requireRole('operator'), async (req, res) => {
    const id = opId(req);
    res.json(await ops.setMaxParallel(actorOf(res), id, parseOrThrow(PatchOperationBodySchema, req.body)));
  });

  router.get('/:id/clusters', requireRole('viewer'), async (req, res) => {
    const id = opId(req);
    res.json(await ops.clusters(id, parseOrThrow(RunListQuerySchema, req.query)));
  });

  router.get('/:id/events', requireRole('viewer'), async (req, res) => {
    const id = opId(req);
    res.json(await ops.events(id, parseOrThrow(EventListQuerySchema, req.query)));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/:id/${action}`, requireRole('operator'), async (req, res) => {
      const id = opId(req);
      res.status(202).json(await ops[action](actorOf(res), id, parseOrThrow(ActionBodySchema, req.body)));
    });
  }

  router.post('/:id/approve', requireRole('approver'), async (req, res) => {
    const id = opId(req);
    res.status(202).json(await ops.approve(actorOf(res), id, parseOrThrow(ApproveBodySchema, req.body)));
  });

  for (const action of ['retry', 'skip'] as const) {
    router.post(`/:id/clusters/:clusterId/${action}`, requireRole('operator'), async (req, res) => {
      const [id, cluster] = [opId(req), clusterId(req)];
      res.status(202).json(await ops[action](actorOf(res), id, cluster, parseOrThrow(ActionBodySchema, req.body)));
    });
  }

  return router;
}
