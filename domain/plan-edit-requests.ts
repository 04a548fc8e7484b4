// The REST side of live plan edits: the bodies of the move and append routes (PATCH's is in
// operation-requests.ts), and which inventory clusters an appended wave takes. Pure.
import { z } from 'zod';
import { type OperationRequest, WaveSpecSchema } from './operation';
import { compileSelector, SelectorSchema, type PlannableCluster, type Selector } from './selector';
import { isBelow } from './semver';

/** POST /v1/operations/{id}/clusters/{clusterId}/move */
export const MoveClusterBodySchema = z.object({ toWave: z.number().int().min(1) }).strict();
export type MoveClusterBody = z.output<typeof MoveClusterBodySchema>;

/**
 * POST /v1/operations/{id}/waves: a wave as a request declares one, less `percent`, and with a selector it
 * must give (`{}` takes every cluster the operation's selector matches that the operation does not hold yet).
 */
export const AppendWaveBodySchema = WaveSpecSchema.omit({ percent: true }).extend({ selector: SelectorSchema });
export type AppendWaveBody = z.output<typeof AppendWaveBodySchema>;

export interface AppendedSelection {
  /** Sorted by id. */
  clusterIds: string[];
  /** Matching clusters an upgrade leaves out because they run the target or above already. */
  atTarget: number;
}

/**
 * The clusters an appended wave takes: those the operation's selector and the wave's both match, that the
 * operation does not hold yet (in any wave, or skipped at plan), and, for an upgrade, below the target.
 */
export function appendedSelection(
  request: Pick<OperationRequest, 'selector' | 'action'>,
  clusters: readonly PlannableCluster[],
  inOperation: ReadonlySet<string>,
  selector: Selector,
): AppendedSelection {
  const operation = compileSelector(request.selector);
  const wave = compileSelector(selector);
  const { action } = request;
  const clusterIds: string[] = [];
  let atTarget = 0;
  for (const cluster of clusters) {
    if (inOperation.has(cluster.id) || !operation(cluster) || !wave(cluster)) continue;
    if (action.type === 'upgrade' && !isBelow(cluster.version, action.targetVersion)) atTarget++;
    else clusterIds.push(cluster.id);
  }
  clusterIds.sort();
  return { clusterIds, atTarget };
}

/** Why an appended wave would be empty, in words. */
export function emptySelectionMessage({ atTarget }: AppendedSelection): string {
  const why = atTarget > 0 ? `; ${atTarget} matching cluster(s) already run the target version` : '';
  return `the selector chose no cluster that the operation's selector matches and the operation does not hold yet${why}`;
}
