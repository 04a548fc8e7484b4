// API composition root: config, logger, pool, Temporal client, metrics, app; owns listening and shutdown.
import type { Server } from 'node:http';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../temporal-connection';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { createApiMetrics } from './metrics';
import { createApiServer } from './server';
import { createHealthService } from './services/health';
import { createGuardService } from './services/guard';
import { createInventoryService } from './services/inventory';
import { createOperationsService } from './services/operations';
import { createTemporalClient } from './temporal';

function main(): void {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty, name: 'fleetwave-api' });
  if (config.tokens.length === 0) {
    logger.warn(
      'FLEET_API_TOKENS is not set: the API is OPEN and every caller acts as dev:admin (never do this in production)',
    );
  }
  const db = createPool(config.databaseUrl, config.databasePoolSize);
  const { connection, client } = createTemporalClient(config);
  const health = createHealthService({ db, temporalAddress: temporalConnectionOptions(config.temporal) });
  const operations = createOperationsService({
    db,
    client,
    taskQueue: config.temporal.taskQueue,
    allowSelfApproval: config.allowSelfApproval,
    statusCacheMs: config.statusCacheMs,
    forecastCacheMs: config.forecastCacheMs,
  });
  const server: Server = createApiServer({
    config,
    logger,
    inventory: createInventoryService(db),
    operations,
    guard: createGuardService(db),
    health,
    metrics: createApiMetrics({ db, client, logger, processMetrics: true }),
  });
  server.listen(config.port, config.host, () => {
    logger.info(
      { port: config.port, temporal: config.temporal.address, taskQueue: config.temporal.taskQueue },
      `fleetwave API listening on http://127.0.0.1:${config.port}`,
    );
  });
  server.keepAliveTimeout = 65_000;
  // The port taken or not allowed (or, later, the server itself failing): it cannot serve, so it stops.
  server.once('error', (err) => {
    logger.error({ err, host: config.host, port: config.port }, 'the API server failed');
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    // Status streams never end by themselves: end them so their clients reconnect to another replica.
    operations.streams.closeAll();
    server.close(() => {
      void Promise.allSettled([db.end(), connection.close(), health.close()]).then(() => {
        logger.info('stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
