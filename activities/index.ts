// createActivities(deps): every activity the worker registers, built over injected dependencies.
import type { Db } from '../db/pool';

export interface ActivityDeps {
  db: Db;
}

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
