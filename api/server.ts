// createApiServer(deps): the API's HTTP server, not listening: an operation's status and runs pages on
// their fast path (fast-reads.ts), every other request through the Express app.
import { createServer, type Server } from 'node:http';
import { createApp, type AppDeps } from './app';
import { createAuthenticator } from './middleware/auth';
import { createFastReads } from './fast-reads';

export function createApiServer(deps: AppDeps): Server {
  const app = createApp(deps);
  const fastReads = createFastReads({
    authenticate: createAuthenticator(deps.config.tokens),
    logger: deps.logger,
    operations: deps.operations,
    metrics: deps.metrics,
    etagOf: app.get('etag fn') as (body: Buffer) => string,
  });
  return createServer((req, res) => {
    if (!fastReads(req, res)) app(req, res);
  });
}
