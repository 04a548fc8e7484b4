// Live plan edits as the engine writes them: a cluster's run moved to a later wave, an appended wave's runs,
// each with the recorded plan and its audit row in one transaction, written once per edit key.
import type { Db } from '../db/pool';
import { appendWaveRuns, moveRun, type AppendRecord, type MoveRecord } from '../db/plan-edits';

export type { AppendRecord, MoveRecord };

export function createPlanEditActivities(deps: { db: Db }) {
  return {
    /** Moves a cluster not started yet to a later wave: applied, or refused with the reason the stored run gives. */
    async moveClusterRun(input: MoveRecord) {
      return moveRun(deps.db, input);
    },

    /** Appends a wave of the chosen clusters the operation does not hold yet: applied, or refused (none left). */
    async appendWaveRuns(input: AppendRecord) {
      return appendWaveRuns(deps.db, input);
    },
  };
}
