// createApp(deps): the Express app, wired but not listening, so tests mount it on port 0.
import express from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ApiMetrics } from './metrics';
import { authenticate, createAuthenticator } from './middleware/auth';
import { errorHandler, notFoundRoute, requireJson } from './middleware/errors';
import { requireStorableInput } from './middleware/storable-input';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { securityHeaders } from './middleware/security';
import { clustersRouter } from './routes/clusters';
import { docsRouter } from './routes/docs';
import { guardRouter } from './routes/guard';
import { healthRouter } from './routes/health';
import { meRouter } from './routes/me';
import { operationsRouter } from './routes/operations';
import { uiRouter } from './routes/ui';
import type { GuardService } from './services/guard';
import type { HealthService } from './services/health';
import type { InventoryService } from './services/inventory';
import type { OperationsService } from './services/operations';

export interface AppDeps {
  /** `temporal` gives the dashboard its links to the Temporal Web UI; without it the dashboard shows none. */
  config: Pick<Config, 'tokens'> & { temporal?: Pick<Config['temporal'], 'uiUrl' | 'namespace'> };
  logger: Logger;
  inventory: InventoryService;
  operations: OperationsService;
  /** The fleet-wide limits and freezes (/v1/guard). */
  guard: GuardService;
  health: HealthService;
  /** The app's own Prometheus registry and middleware (never prom-client's global one). */
  metrics: ApiMetrics;
}

export const BODY_LIMIT = '5mb';

/** Reads, which carry no body, skip the body parser. */
function bodyOfWrites(parse: express.RequestHandler): express.RequestHandler {
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : parse(req, res, next));
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId(deps.logger));
  app.use(requestLog(deps.logger));
  app.use(securityHeaders());
  app.use(deps.metrics.middleware);
  const v1 = express.Router();
  v1.use(authenticate(createAuthenticator(deps.config.tokens)));
  v1.use(requireJson);
  v1.use(bodyOfWrites(express.json({ limit: BODY_LIMIT, strict: true, type: 'application/json' })));
  v1.use(requireStorableInput);
  v1.use(meRouter());
  v1.use('/clusters', clustersRouter(deps.inventory));
  v1.use('/operations', operationsRouter(deps.operations));
  v1.use('/guard', guardRouter(deps.guard));
  // First: the API's hot reads meet no router of the pages and probes below (their paths never start /v1).
  app.use('/v1', v1);

  // Public, like the probes: Prometheus scrapes without a token (keep the port off the internet).
  app.get('/metrics', deps.metrics.handler);
  app.use(healthRouter(deps.health));
  app.use(docsRouter());
  // Public like /docs: static files only; the dashboard reads and acts through /v1 with the user's token.
  app.use(
    uiRouter({
      settings: {
        temporalUiUrl: deps.config.temporal?.uiUrl || null,
        namespace: deps.config.temporal?.namespace ?? 'default',
      },
      logger: deps.logger,
    }),
  );

  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
