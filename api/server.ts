// createApiServer(deps): the API's HTTP server, not listening: the status read on its fast path, every
// other request through the Express app.
import { createServer, type Server } from 'node:http';
import { createApp, type AppDeps } from './app';
import { createAuthenticator } from './middleware/auth';
import { createStatusFastPath } from './status-fast-path';

export function createApiServer(deps: AppDeps): Server {
  const app = createApp(deps);
  const fastStatus = createStatusFastPath({
    authenticate: createAuthenticator(deps.config.tokens),
    logger: deps.logger,
    operations: deps.operations,
    metrics: deps.metrics,
    etagOf: app.get('etag fn') as (body: Buffer) => string,
  });
  return createServer((req, res) => {
    if (!fastStatus(req, res)) app(req, res);
  });
}
