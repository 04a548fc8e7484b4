// `fleetwave [operations] failed`: an operation's failed and rolled back clusters, with their errors.
import type { Command } from 'commander';
import { seg } from '../client';
import { contextOf, intOption } from '../context';
import { readPages } from '../pages';
import { byWaveThenId, failedRunsText } from '../render-runs';
import type { OperationRunView } from '../types';

/** The run states that need a person: retry them, or leave them and say why. */
export const FAILED_STATES = ['failed', 'rolled_back'] as const;

/** The API's largest page: an operation of 10,000 clusters is ten requests. */
const PAGE = 1000;

export function registerRuns(parent: Command): void {
  parent
    .command('failed <id>')
    .description('list the failed and rolled back clusters of an operation with their errors, by wave then id')
    .option('--wave <k>', 'only this wave', intOption(1))
    .addHelpText(
      'after',
      `
Every page is read (GET /v1/operations/<id>/clusters?state=failed,rolled_back). The adapter's last
error and attempt count are shown when a run has them.

Examples:
  fleetwave operations failed kafka-3.7.1-a1b2c3
  fleetwave operations failed kafka-3.7.1-a1b2c3 --wave 2 -o json | jq -r '.runs[].clusterId'`,
    )
    .action(async (id: string, opts: { wave?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { items } = await readPages(
        async (cursor) => {
          const page = await ctx.client.get<{ runs: OperationRunView[]; nextCursor: string | null }>(
            `/v1/operations/${seg(id)}/clusters`,
            { state: FAILED_STATES.join(','), wave: opts.wave, limit: PAGE, cursor },
          );
          return { items: page.runs, next: page.nextCursor };
        },
        { all: true },
      );
      const runs = byWaveThenId(items);
      ctx.emit({ runs, nextCursor: null }, () => failedRunsText(id, runs, opts.wave));
    });
}
