// createActivities(deps): every activity the worker registers, built over injected dependencies.
import type { AdapterRegistry } from '../adapters/types';
import type { Db } from '../db/pool';
import { createApplyActivities } from './apply';
import { createMonitorActivities } from './monitor';
import { createRunActivities } from './runs';
import { createSelectActivities } from './select';

export interface ActivityDeps {
  db: Db;
  adapters: AdapterRegistry;
  isWorkflowRunning(workflowId: string): Promise<boolean>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelectActivities(deps),
    ...createApplyActivities(deps),
    ...createMonitorActivities(deps),
    ...createRunActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
