// createActivities(deps): every activity the worker registers, built over injected dependencies.
import type { AdapterRegistry } from '../adapters/types';
import type { Db } from '../db/pool';
import { createApplyActivities } from './apply';
import { createBookkeepingActivities } from './bookkeeping';
import { createMonitorActivities } from './monitor';
import { createLeasedClusters } from './leased-clusters';
import { createSelectActivities, type HolderState } from './select';

export interface ActivityDeps {
  db: Db;
  adapters: AdapterRegistry;
  holderState(workflowId: string): Promise<HolderState>;
}

export function createActivities(deps: ActivityDeps) {
  const leased = createLeasedClusters();
  const withCache = { ...deps, leased };
  return {
    ...createSelectActivities(withCache),
    ...createApplyActivities(withCache),
    ...createMonitorActivities(withCache),
    ...createBookkeepingActivities(withCache),
  };
}

export type Activities = ReturnType<typeof createActivities>;
