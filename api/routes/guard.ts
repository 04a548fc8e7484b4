// /v1/guard: serve each route of guard-contract.ts — parse with its schemas, call the guard service, answer.
import { Router, type RequestHandler } from 'express';
import { GuardNameSchema } from '../../domain/guard';
import { requireRole } from '../middleware/auth';
import type { GuardService } from '../services/guard';
import { GUARD_ROUTES as routes, IfMatchSchema, type GuardRouteContract } from './guard-contract';
import { actorOf, parseOrThrow } from './parse';

export function guardRouter(guard: GuardService): Router {
  const router = Router();
  const serve = (route: GuardRouteContract, handler: RequestHandler) =>
    router[route.method](route.path, requireRole(route.role), handler);

  serve(routes.show, async (_req, res) => {
    res.json(await guard.show());
  });

  serve(routes.setLimits, async (req, res) => {
    const ifMatch = parseOrThrow(IfMatchSchema.optional(), req.get('if-match'), 'If-Match');
    const body = parseOrThrow(routes.setLimits.body, req.body);
    res.json(await guard.setLimits(actorOf(res), body, ifMatch === undefined ? {} : { ifMatch }));
  });

  serve(routes.freeze, async (req, res) => {
    res.status(201).json(await guard.freeze(actorOf(res), parseOrThrow(routes.freeze.body, req.body)));
  });

  serve(routes.unfreeze, async (req, res) => {
    await guard.unfreeze(actorOf(res), parseOrThrow(GuardNameSchema, req.params.name, 'name'));
    res.status(204).end();
  });

  return router;
}
