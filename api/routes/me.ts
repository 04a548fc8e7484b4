// GET /v1/me: who the token belongs to and its role, so a client (the dashboard) shows only what that
// role may do.
import { Router } from 'express';
import type { Principal } from '../../domain/auth';

export function meRouter(): Router {
  const router = Router();
  router.get('/me', (_req, res) => {
    const { identity, role } = res.locals.principal as Principal;
    res.json({ identity, role });
  });
  return router;
}
