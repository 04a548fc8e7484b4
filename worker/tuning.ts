// Worker concurrency knobs (from config.ts), shared by the engine's worker and the benchmark baseline.
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';

/** Defaults are sized for operations with maxParallel up to a few hundred on a small machine. */
export function workerTuning(worker: Config['worker']): Partial<WorkerOptions> {
  return {
    // Every in-flight cluster holds an activity slot (apply or monitor): more slots than maxParallel.
    maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTasks,
    maxCachedWorkflows: worker.maxCachedWorkflows,
    // On SIGTERM in-flight applies and monitors get this long to finish before they are cancelled
    // (and retried elsewhere); then the process exits regardless.
    shutdownGraceTime: worker.shutdownGraceSeconds * 1000,
    shutdownForceTime: (worker.shutdownGraceSeconds + 5) * 1000,
  };
}
