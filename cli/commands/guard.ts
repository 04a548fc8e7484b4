// `fleetwave guard [show|set-limits|freeze|unfreeze]`: the fleet-wide limits and change freezes over /v1/guard.
import { InvalidArgumentError, type Command } from 'commander';
import { seg } from '../client';
import { contextOf } from '../context';
import { renderGuard } from '../render-guard';
import { readGuardLimits } from '../spec-file';
import type { GuardView } from '../types';

const SCOPE_FIELDS = ['cloud', 'region', 'environment', 'tier', 'kind'];

/** `--scope cloud=gcp`, repeatable: one field of the scope each. */
function scopeOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  const field = value.slice(0, at);
  if (at <= 0 || !SCOPE_FIELDS.includes(field))
    throw new InvalidArgumentError(`expected <field>=<value> with a field of ${SCOPE_FIELDS.join(', ')}`);
  return { ...previous, [field]: value.slice(at + 1) };
}

/** An ISO 8601 time, or `now`: sent as the exact instant. */
function timeOption(value: string): string {
  const ms = value === 'now' ? Date.now() : Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(`expected an ISO 8601 time such as 2025-12-20T00:00:00Z, or now`);
  return new Date(ms).toISOString();
}

export function registerGuard(program: Command): void {
  const guard = program
    .command('guard')
    .description('the fleet-wide limits (clusters in flight, failures per hour) and change freezes')
    .addHelpText(
      'after',
      `
Examples:
  fleetwave guard
  fleetwave guard set-limits --file limits.yaml
  fleetwave guard freeze year-end --from 2025-12-20T00:00:00Z --to 2026-01-05T00:00:00Z \\
    --scope environment=customer --reason "year-end change freeze"
  fleetwave guard unfreeze year-end`,
    );

  guard
    .command('show', { isDefault: true })
    .description('the limits with what each counts now, and the freezes')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const shown = await ctx.client.get<GuardView>('/v1/guard');
      ctx.emit(shown, () => renderGuard(shown));
    });

  guard
    .command('set-limits')
    .description('replace every limit with those of a YAML or JSON file (a list, or { limits: [...] }); admin')
    .requiredOption('-f, --file <file>', "the limits file ('-' reads stdin)")
    .option('--if-match <version>', 'only if the limits are still this version (`fleetwave guard` shows it)')
    .addHelpText(
      'after',
      `
The file is the whole set: a limit it leaves out is removed.
  - name: gcp-customer
    scope: { cloud: gcp, environment: customer }
    maxInFlight: 20
    maxFailuresPerHour: 5`,
    )
    .action(async (opts: { file: string; ifMatch?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = await readGuardLimits(opts.file);
      const headers = opts.ifMatch ? { 'if-match': `"${opts.ifMatch}"` } : undefined;
      const shown = await ctx.client.put<GuardView>('/v1/guard/limits', body, headers);
      ctx.emit(shown, () => renderGuard(shown));
    });

  guard
    .command('freeze <name>')
    .description('add a change freeze: no cluster in scope starts from --from until --to; admin')
    .requiredOption('--to <time>', 'when it ends (ISO 8601)', timeOption)
    .option('--from <time>', 'when it begins (ISO 8601, or now)', timeOption, 'now')
    .requiredOption('--reason <text>', 'why, for the people it holds back')
    .option(
      '--scope <field=value>',
      `a scope field (${SCOPE_FIELDS.join(', ')}), repeatable; none: the whole fleet`,
      scopeOption,
    )
    .action(
      async (
        name: string,
        opts: { from: string; to: string; reason: string; scope?: Record<string, string> },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const from = opts.from === 'now' ? new Date().toISOString() : opts.from;
        const body = { name, from, to: opts.to, reason: opts.reason, ...(opts.scope ? { scope: opts.scope } : {}) };
        const created = await ctx.client.post<{ name: string; state: string; from: string; to: string }>(
          '/v1/guard/freezes',
          body,
        );
        ctx.emit(created, () => `freeze ${created.name} ${created.state}: ${created.from} to ${created.to}`);
      },
    );

  guard
    .command('unfreeze <name>')
    .description('delete a freeze, ending it early: the clusters it held start again; admin')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await ctx.client.delete(`/v1/guard/freezes/${seg(name)}`);
      ctx.emit({ name, deleted: true }, () => `freeze ${name} deleted`);
    });
}
