// `fleetwave clusters patch|delete`: changing and removing one inventory cluster over /v1/clusters/:id.
import type { Command } from 'commander';
import { seg } from '../client';
import { confirmOrStop } from '../confirm';
import { contextOf } from '../context';
import { InputError } from '../errors';
import { clusterDetail } from '../render';
import { foldAssignments, needsCurrent, setOption, type Assignment } from '../set-values';
import { readClusterPatch } from '../spec-file';
import type { Cluster } from '../types';

interface PatchOptions {
  set?: Assignment[];
  file?: string;
}

export function registerClusterEdits(clusters: Command): void {
  clusters
    .command('patch <id>')
    .description('change fields of one cluster (refused while an operation holds its lease)')
    .option(
      '--set <key=value>',
      'a field to change; dots reach nested fields (labels.team=core, adapter.config.applyMs=100); repeatable',
      setOption,
    )
    .option('-f, --file <file>', "a YAML or JSON object of the fields to change ('-' reads stdin)")
    .addHelpText(
      'after',
      `
Values are JSON when they parse as JSON (100, true, null, {"a":1}, "007"), else text (core, 3.7.1).
Label values are always text. The API replaces labels and adapter as a whole, so a dotted --set
merges into the cluster's current value (read first) and sends the whole field; a field the file
gives is taken from the file instead. --set is applied after the file.

Examples:
  fleetwave clusters patch kafka-aws-001 --set labels.team=core --set tier=dedicated
  fleetwave clusters patch kafka-aws-001 --set adapter.config.applyMs=100
  fleetwave clusters patch kafka-aws-001 --file patch.yaml`,
    )
    .action(async (id: string, opts: PatchOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const sets = opts.set ?? [];
      if (sets.length === 0 && opts.file === undefined)
        throw new InputError('nothing to change: give --set key=value (repeatable) and/or --file <file>');
      const base = opts.file === undefined ? {} : await readClusterPatch(opts.file);
      const current = needsCurrent(base, sets)
        ? await ctx.client.get<Record<string, unknown>>(`/v1/clusters/${seg(id)}`)
        : {};
      const body = foldAssignments(base, sets, current);
      const updated = await ctx.client.patch<Cluster>(`/v1/clusters/${seg(id)}`, body);
      ctx.emit(
        updated,
        () => `updated cluster ${updated.id}: ${Object.keys(body).join(', ')}\n\n${clusterDetail(updated)}`,
      );
    });

  clusters
    .command('delete <id>')
    .description('remove one cluster from the inventory (its past runs stay; refused while leased)')
    .option('-y, --yes', 'do not ask; needed when standard input is not a terminal')
    .addHelpText(
      'after',
      `
Examples:
  fleetwave clusters delete kafka-aws-001
  fleetwave clusters delete kafka-aws-001 --yes`,
    )
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!opts.yes) {
        await confirmOrStop(`delete cluster ${id} from the inventory? [y/N] `, {
          what: `delete cluster ${id}`,
          flag: '--yes',
        });
      }
      await ctx.client.delete(`/v1/clusters/${seg(id)}`);
      // 204 has no body; scripts still get JSON to read.
      ctx.emit({ id, deleted: true }, () => `deleted cluster ${id}`);
    });
}
