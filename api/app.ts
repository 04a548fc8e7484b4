// createApp(deps): the Express app, wired but not listening, so tests mount it on port 0.
import express from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { authenticate, createAuthenticator } from './middleware/auth';
import { errorHandler, notFoundRoute, requireJson } from './middleware/errors';
import { requestId } from './middleware/request-id';
import { clustersRouter } from './routes/clusters';
import { healthRouter } from './routes/health';
import { operationsRouter } from './routes/operations';
import type { HealthService } from './services/health';
import type { InventoryService } from './services/inventory';
import type { OperationsService } from './services/operations';

export interface AppDeps {
  config: Pick<Config, 'tokens'>;
  logger: Logger;
  inventory: InventoryService;
  operations: OperationsService;
  health: HealthService;
}

export const BODY_LIMIT = '5mb';

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId(deps.logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(healthRouter(deps.health));

  const v1 = express.Router();
  v1.use(authenticate(createAuthenticator(deps.config.tokens)));
  v1.use(requireJson);
  v1.use(express.json({ limit: BODY_LIMIT, strict: true, type: 'application/json' }));
  v1.use('/clusters', clustersRouter(deps.inventory));
  v1.use('/operations', operationsRouter(deps.operations));
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
