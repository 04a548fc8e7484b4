// Worker composition root: config, logger, pool, Temporal connection, metrics, worker; drains on SIGTERM/SIGINT.
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../temporal-connection';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { createAdapters } from '../adapters';
import { createSecretResolver } from '../adapters/secrets';
import { createLivenessCheck } from './liveness';
import { coreLogging, createSdkLogger } from './logging';
import { createWorkerMetrics, serveMetrics, temporalMetricsTelemetry, type MetricsServer } from './metrics';
import { workerTuning } from './tuning';
import { connectWithRetry, createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty, name: 'fleetwave-worker' });
  Runtime.install({
    // The SDK's own signal handling calls worker.shutdown(): in-flight activities finish or time out.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    logger: createSdkLogger(logger),
    telemetryOptions: {
      ...coreLogging(config.logLevel),
      ...temporalMetricsTelemetry(config.host, config.metrics.temporalPort),
    },
  });
  const metrics = createWorkerMetrics({ processMetrics: true });
  let metricsServer: MetricsServer | undefined;
  if (config.metrics.workerPort !== 0) {
    metricsServer = await serveMetrics(metrics.registry, config.host, config.metrics.workerPort);
  }
  const db = createPool(config.databaseUrl, config.databasePoolSize);
  const temporalTarget = temporalConnectionOptions(config.temporal);
  const connection = await connectWithRetry(temporalTarget, (err, attempt) =>
    logger.warn(
      { attempt, address: config.temporal.address, err: String(err) },
      'Temporal not reachable yet; retrying',
    ),
  );
  const liveness = createLivenessCheck(temporalTarget, config.temporal.namespace, config.worker.leaseTakeoverGraceMs);
  const worker = await createWorker({
    db,
    // FLEET_SECRET_<tokenRef> is read from the live environment at each call; values never enter the config.
    adapters: createAdapters({ db, secrets: createSecretResolver({ env: process.env, dir: config.secretsDir }) }),
    holderState: liveness.holderState,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    options: workerTuning(config.worker),
    metrics,
  });
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      metricsPort: metricsServer?.port ?? null,
      temporalMetricsPort: config.metrics.temporalPort || null,
      secretsDir: config.secretsDir,
    },
    'fleetwave worker running',
  );
  await worker.run();
  logger.info('worker drained and stopped');
  await connection.close();
  await liveness.close();
  await metricsServer?.close();
  await db.end();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
