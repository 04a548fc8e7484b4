// The baseline's worker process, tuned like the engine's worker so the comparison is fair.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './baseline-activities';
import { loadConfig } from '../../config';
import { workerTuning } from '../../worker/tuning';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'fleetwave-baseline',
    workflowsPath: require.resolve('./baseline-workflows'),
    activities,
    ...workerTuning(loadConfig().worker),
  });
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
