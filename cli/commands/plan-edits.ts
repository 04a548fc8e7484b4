// `fleetwave [operations] edit|move|add-wave`: live plan edits of a running operation.
import type { Command } from 'commander';
import { seg } from '../client';
import { contextOf, intOption, secondsOption } from '../context';
import { InputError } from '../errors';
import { statusSummary } from '../render-operations';
import { readAppendedWave } from '../spec-file';
import type { EditAnswer, PlanEditAnswer } from '../types';

const EDIT_HELP = `
The workflow checks every edit against its own state: a refused one (exit 3, e.g. wave_finished,
wave_started, not_pending, not_later_wave, wave_name_taken, empty_wave, operation_finished) changes
nothing. Each applied edit is in the audit trail (fleetwave events <id>).`;

interface EditOptions {
  wave?: number;
  maxParallel?: number;
  maxFailures?: number;
  bake?: number;
}

/** `maxFailures 2, bakeSeconds 60 for wave 3` */
function editText(id: string, answer: EditAnswer): string {
  const set = (['maxParallel', 'maxFailures', 'bakeSeconds'] as const)
    .filter((knob) => typeof answer[knob] === 'number')
    .map((knob) => `${knob} ${answer[knob]}`);
  const waves = answer.waves ?? [];
  const scope =
    typeof answer.wave === 'number'
      ? `wave ${answer.wave}`
      : waves.length === 0
        ? 'no wave left to change'
        : `the running wave and every later one (${waves.join(', ')})`;
  return `${id}: ${set.join(', ')} for ${scope}`;
}

export function registerPlanEdits(parent: Command): void {
  parent
    .command('edit <id>')
    .description(
      'change wave knobs while the operation runs: one wave with --wave, else the running and every later wave',
    )
    .option('--wave <k>', 'only this wave (one that has not finished)', intOption(1))
    .option(
      '--max-parallel <n>',
      'clusters in flight at once (1-1000); a running wave takes it at once',
      intOption(1, 1000),
    )
    .option('--max-failures <n>', 'failures the wave tolerates; a running wave takes it at once', intOption(0))
    .option(
      '--bake <seconds>',
      'wait after the wave before the next one (a baking wave re-times its bake)',
      secondsOption(0),
    )
    .addHelpText(
      'after',
      `${EDIT_HELP}

Examples:
  fleetwave operations edit kafka-3.7.1-a1b2c3 --max-failures 3
  fleetwave operations edit kafka-3.7.1-a1b2c3 --wave 2 --max-parallel 5 --bake 600`,
    )
    .action(async (id: string, opts: EditOptions, cmd: Command) => {
      const body = {
        ...(opts.wave === undefined ? {} : { wave: opts.wave }),
        ...(opts.maxParallel === undefined ? {} : { maxParallel: opts.maxParallel }),
        ...(opts.maxFailures === undefined ? {} : { maxFailures: opts.maxFailures }),
        ...(opts.bake === undefined ? {} : { bakeSeconds: opts.bake }),
      };
      if (opts.maxParallel === undefined && opts.maxFailures === undefined && opts.bake === undefined)
        throw new InputError('nothing to change: give --max-parallel, --max-failures or --bake');
      const ctx = contextOf(cmd);
      const answer = await ctx.client.patch<EditAnswer>(`/v1/operations/${seg(id)}`, body);
      ctx.emit(answer, () => editText(id, answer));
    });

  parent
    .command('move <id> <cluster>')
    .description('move a cluster that has not started to a later wave that has not started')
    .requiredOption('--to-wave <k>', 'the wave it moves to', intOption(1))
    .addHelpText(
      'after',
      `${EDIT_HELP}

Example:
  fleetwave operations move kafka-3.7.1-a1b2c3 cust-aws-us-east-1-007 --to-wave 3`,
    )
    .action(async (id: string, cluster: string, opts: { toWave: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const path = `/v1/operations/${seg(id)}/clusters/${seg(cluster)}/move`;
      const answer = await ctx.client.post<PlanEditAnswer>(path, { toWave: opts.toWave });
      ctx.emit(answer, () => `${answer.editResult.message}\n\n${statusSummary(answer)}`);
    });

  parent
    .command('add-wave <id>')
    .description('append a wave of inventory clusters the operation does not hold yet')
    .requiredOption(
      '--file <path>',
      'the wave as YAML or JSON: name, selector, and maxParallel, maxFailures, bakeSeconds, approval',
    )
    .addHelpText(
      'after',
      `${EDIT_HELP}

The wave takes the clusters its selector and the operation's both match that the operation does not
hold yet (for an upgrade, those below the target); knobs it leaves out come from the operation's defaults.

Example:
  fleetwave operations add-wave kafka-3.7.1-a1b2c3 --file late-additions.yaml
  # late-additions.yaml
  name: late-additions
  selector: { labels: { team: payments } }
  maxParallel: 2`,
    )
    .action(async (id: string, opts: { file: string }, cmd: Command) => {
      const wave = await readAppendedWave(opts.file);
      const ctx = contextOf(cmd);
      const answer = await ctx.client.post<PlanEditAnswer>(`/v1/operations/${seg(id)}/waves`, wave);
      ctx.emit(answer, () => `${answer.editResult.message}\n\n${statusSummary(answer)}`);
    });
}
