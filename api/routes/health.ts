// Liveness and readiness probes: no auth, tiny answers.
import { Router } from 'express';
import type { HealthService } from '../services/health';

export function healthRouter(health: HealthService): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await health.readiness();
    res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not_ready', ...readiness });
  });
  return router;
}
