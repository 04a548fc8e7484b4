// createActivities(deps): every activity the worker registers, built over injected dependencies.
import { createAlarmSources, type AlarmSources } from '../adapters/alarm-sources';
import type { AdapterRegistry } from '../adapters/types';
import { createAlarmActivities } from './alarms';
import type { Db } from '../db/pool';
import { createApplyActivities } from './apply';
import { createBookkeepingActivities } from './bookkeeping';
import { createMonitorActivities } from './monitor';
import { createPlanEditActivities } from './plan-edits';
import { createLeasedClusters } from './leased-clusters';
import { createSelectActivities, type HolderState } from './select';

export interface ActivityDeps {
  db: Db;
  adapters: AdapterRegistry;
  holderState(workflowId: string): Promise<HolderState>;
  /** Where alarms are read; the real Prometheus and HTTP sources unless a test hands others. */
  alarmSources?: AlarmSources;
}

export function createActivities(deps: ActivityDeps) {
  const leased = createLeasedClusters();
  const withCache = { ...deps, leased };
  return {
    ...createSelectActivities(withCache),
    ...createApplyActivities(withCache),
    ...createMonitorActivities(withCache),
    ...createBookkeepingActivities(withCache),
    ...createPlanEditActivities({ db: deps.db }),
    ...createAlarmActivities({ db: deps.db, alarmSources: deps.alarmSources ?? createAlarmSources() }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
