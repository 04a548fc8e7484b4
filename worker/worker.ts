// Builds a Temporal worker over given dependencies; main.ts and the tests both use it.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { instrumentActivities, type ActivityObserver } from '../activities/instrument';
import { createWorkerMetrics } from './metrics';
import type { TemporalConnectionOptions } from '../temporal-connection';

export interface WorkerDeps extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Where activity durations and failures go; a private registry when not given. */
  metrics?: { observer: ActivityObserver };
  options?: Partial<WorkerOptions>;
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const observer = (deps.metrics ?? createWorkerMetrics()).observer;
  const interceptors = deps.options?.interceptors;
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: instrumentActivities(createActivities(deps), { observer, db: deps.db }),
    ...deps.options,
    // Logs the API request id that starts, signals and updates carry (see workflows/request-id-interceptor.ts).
    interceptors: {
      ...interceptors,
      workflowModules: [
        require.resolve('../workflows/request-id-interceptor'),
        ...(interceptors?.workflowModules ?? []),
      ],
    },
  });
}

/** Connects to Temporal, retrying while it is not up yet (the worker may start first). */
export async function connectWithRetry(
  target: string | TemporalConnectionOptions,
  onRetry: (err: unknown, attempt: number) => void,
  attempts = 60,
): Promise<NativeConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect(typeof target === 'string' ? { address: target } : target);
    } catch (err) {
      if (attempt >= attempts) throw err;
      onRetry(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}
