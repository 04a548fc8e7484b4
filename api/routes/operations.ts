// /v1/operations: serve each route of operation-contract.ts — parse with its schemas, call the operations service, answer.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ActionAnswer } from '../services/operation-actions';
import { ClusterIdSchema } from '../../domain/cluster';
import {
  CLUSTER_CONTROLS,
  IdempotencyKeySchema,
  OPERATION_CONTROLS,
  OperationIdSchema,
} from '../../domain/operation-requests';
import { sendSharedJson, serializeShared } from '../cached-json';
import { openEventStream } from '../event-stream';
import { requireRole } from '../middleware/auth';
import type { OperationsService } from '../services/operations';
import { OPERATION_ROUTES as routes, type RouteContract } from './operation-contract';
import { actorOf, parseOrThrow } from './parse';

const opId = (req: Request) => parseOrThrow(OperationIdSchema, req.params.id, 'id');
const clusterId = (req: Request) => parseOrThrow(ClusterIdSchema, req.params.clusterId, 'clusterId');

export function operationsRouter(ops: OperationsService): Router {
  const router = Router();
  const serve = (route: RouteContract, handler: RequestHandler) =>
    router[route.method](route.path, requireRole(route.role), handler);

  serve(routes.start, async (req, res) => {
    const { dryRun } = parseOrThrow(routes.start.query, req.query);
    const idempotencyKey = parseOrThrow(IdempotencyKeySchema.optional(), req.get('idempotency-key'), 'Idempotency-Key');
    const request = parseOrThrow(routes.start.body, req.body);
    const result = await ops.start(actorOf(res), request, { dryRun, idempotencyKey });
    res.status(result.outcome === 'created' ? 201 : 200).json(result.body);
  });

  serve(routes.list, async (req, res) => {
    res.json(await ops.list(parseOrThrow(routes.list.query, req.query)));
  });

  serve(routes.status, async (req, res) => {
    // The status object is shared by every caller while its snapshot version is current: serialized once.
    sendSharedJson(res, await ops.status(opId(req)));
  });

  serve(routes.stream, async (req, res) => {
    const id = opId(req);
    // An unknown operation is a 404 like every other route, before the stream opens.
    const first = await ops.status(id);
    const { body } = serializeShared(first);
    let unwatch = () => undefined as void;
    const stream = openEventStream(req, res, { onClose: () => unwatch() });
    stream.send('status', body);
    unwatch = ops.streams.watch(
      id,
      { value: first, body },
      {
        status: (_value, json) => stream.send('status', json),
        end: (reason) => {
          stream.send('end', JSON.stringify({ reason }));
          stream.close();
        },
        error: () =>
          stream.send(
            'unavailable',
            JSON.stringify({
              error: { code: 'status_unavailable', message: 'the status could not be read; retrying' },
            }),
          ),
      },
    );
  });

  serve(routes.setMaxParallel, async (req, res) => {
    const id = opId(req);
    res.json(await ops.editWaves(actorOf(res), id, parseOrThrow(routes.setMaxParallel.body, req.body)));
  });

  serve(routes.runs, async (req, res) => {
    const id = opId(req);
    // Callers asking for the same page at the same time share one load, and so one serialization.
    sendSharedJson(res, await ops.clusters(id, parseOrThrow(routes.runs.query, req.query)));
  });

  serve(routes.events, async (req, res) => {
    const id = opId(req);
    res.json(await ops.events(id, parseOrThrow(routes.events.query, req.query)));
  });

  // Each action answers 200 with the status once the workflow applied it, 202 when it was delivered
  // to a workflow no worker runs right now; a rejection is thrown as its 4xx.
  const answer = (res: Response, { status, body }: ActionAnswer) => res.status(status).json(body);

  for (const control of OPERATION_CONTROLS) {
    serve(routes[control], async (req, res) => {
      const id = opId(req);
      answer(res, await ops[control](actorOf(res), id, parseOrThrow(routes[control].body, req.body)));
    });
  }

  serve(routes.approve, async (req, res) => {
    const id = opId(req);
    answer(res, await ops.approve(actorOf(res), id, parseOrThrow(routes.approve.body, req.body)));
  });

  for (const control of CLUSTER_CONTROLS) {
    serve(routes[control], async (req, res) => {
      const [id, cluster] = [opId(req), clusterId(req)];
      const body = parseOrThrow(routes[control].body, req.body);
      answer(res, await ops[control](actorOf(res), id, cluster, body));
    });
  }

  serve(routes.moveCluster, async (req, res) => {
    const [id, cluster] = [opId(req), clusterId(req)];
    const body = parseOrThrow(routes.moveCluster.body, req.body);
    res.json(await ops.moveCluster(actorOf(res), id, cluster, body));
  });

  serve(routes.appendWave, async (req, res) => {
    const id = opId(req);
    res.json(await ops.appendWave(actorOf(res), id, parseOrThrow(routes.appendWave.body, req.body)));
  });

  return router;
}
