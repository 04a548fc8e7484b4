// `fleetwave plan|start|list|status`: operations over /v1/operations, and watching one to the end.
import { Option, type Command } from 'commander';
import { OPERATION_STATES } from '../../domain/states';
import { seg } from '../client';
import { contextOf, intOption, secondsOption, type Context } from '../context';
import { OperationEnded } from '../errors';
import { readPages } from '../pages';
import { operationsTable } from '../render';
import { finalLine, planSummary, statusSummary } from '../render-operations';
import { readOperationSpec } from '../spec-file';
import type { OperationListItem, OperationStatus, PlanView, StartAnswer } from '../types';
import { watchOperation } from '../watch';

const SPEC_HELP = `
The spec is the body of POST /v1/operations, as YAML or JSON ('-' reads stdin):
  name: kafka-3.7.1
  action: { type: upgrade, targetVersion: 3.7.1 }
  selector: { kind: kafka, versionBelow: 3.7.1 }
  waves:
    - { name: internal, selector: { environment: internal }, maxParallel: 5 }
    - { name: gcp-canary, selector: { cloud: gcp }, percent: 10, approval: manual, bakeSeconds: 600 }
    - { name: rest, maxParallel: 50, maxFailures: 3 }
It is validated locally first; errors name the file, line and field.`;

const intervalOption = () =>
  new Option('--interval <seconds>', 'seconds between polls while watching').argParser(secondsOption(0.1)).default(2);

/** Watches to the end; prints the final summary; a failed or cancelled end is exit code 1. */
async function watchToEnd(ctx: Context, id: string, intervalSeconds: number): Promise<void> {
  const mode = ctx.json ? 'json' : process.stdout.isTTY ? 'bars' : 'lines';
  const final = await watchOperation(ctx.client, id, { intervalMs: intervalSeconds * 1000, mode });
  if (!ctx.json) ctx.say(`\n${statusSummary(final)}\n\n${finalLine(final)}`);
  if (final.state !== 'completed') {
    throw new OperationEnded(
      `operation ${id} ended ${final.state}${final.error ? `: ${final.error}` : ''}${final.note ? ` (${final.note})` : ''}`,
    );
  }
}

export function registerOperations(program: Command): void {
  program
    .command('plan <spec>')
    .description('show the waves an operation spec would run, without starting anything (dry run)')
    .addHelpText(
      'after',
      `${SPEC_HELP}

Example:
  fleetwave plan kafka-3.7.1.yaml`,
    )
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await readOperationSpec(file);
      const answer = await ctx.client.post<{ plan: PlanView }>('/v1/operations', spec, { dryRun: true });
      ctx.emit(answer, () => planSummary(answer.plan));
    });

  program
    .command('start <spec>')
    .description('start an operation from a spec file')
    .option('--request-id <id>', 'idempotency key: repeating the same start with it returns the same operation')
    .option('-w, --watch', 'then watch it until it ends (as status --watch)')
    .addOption(intervalOption())
    .addHelpText(
      'after',
      `${SPEC_HELP}

Examples:
  fleetwave start kafka-3.7.1.yaml --request-id change-1234
  fleetwave start kafka-3.7.1.yaml --watch`,
    )
    .action(async (file: string, opts: { requestId?: string; watch?: boolean; interval: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await readOperationSpec(file);
      // The flag wins over a requestId in the file, so one spec can be started under several change tickets.
      const body = opts.requestId === undefined ? spec : { ...spec, requestId: opts.requestId };
      const { status, body: answer } = await ctx.client.send<StartAnswer>('POST', '/v1/operations', { body });
      if (ctx.json) process.stdout.write(`${JSON.stringify(answer, null, opts.watch ? undefined : 2)}\n`);
      else {
        const head =
          status === 200
            ? `operation ${answer.id} already exists for this request id (state: ${answer.state})`
            : `started operation ${answer.id}`;
        ctx.say(`${head}\n\n${planSummary(answer.plan)}`);
        if (!opts.watch) ctx.say(`\nfollow it: fleetwave status ${answer.id} --watch`);
      }
      if (opts.watch) await watchToEnd(ctx, answer.id, opts.interval);
    });

  program
    .command('list')
    .description('list operations (newest first), optionally by state or name')
    .addOption(new Option('--state <state>', 'only operations in this state').choices(OPERATION_STATES))
    .option('--name <name>', 'only operations with this name')
    .option('--limit <n>', 'operations per page (1-1000)', intOption(1, 1000), 50)
    .option('--all', 'follow nextPageToken until every match is listed')
    .addHelpText(
      'after',
      `
Examples:
  fleetwave list --state awaiting_approval
  fleetwave list --name kafka-3.7.1 -o json`,
    )
    .action(async (opts: { state?: string; name?: string; limit: number; all?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { items: operations, next } = await readPages(
        async (pageToken) => {
          const page = await ctx.client.get<{ operations: OperationListItem[]; nextPageToken: string | null }>(
            '/v1/operations',
            { state: opts.state, name: opts.name, limit: opts.limit, pageToken },
          );
          return { items: page.operations, next: page.nextPageToken };
        },
        { all: opts.all },
      );
      ctx.emit({ operations, nextPageToken: next }, () =>
        operations.length === 0
          ? 'no operations match'
          : `${operationsTable(operations)}${next ? '\n\nmore operations match: add --all' : ''}`,
      );
    });

  program
    .command('status <id>')
    .description(
      'show an operation: state, current wave, per-wave counts, pending approval, pause reason, in-flight clusters',
    )
    .option(
      '-w, --watch',
      'follow it until it ends: live bars on a terminal, a line per change otherwise; exit 1 if it ends failed or cancelled',
    )
    .addOption(intervalOption())
    .addHelpText(
      'after',
      `
Examples:
  fleetwave status kafka-3.7.1-a1b2c3
  fleetwave status kafka-3.7.1-a1b2c3 --watch --interval 5
  fleetwave status kafka-3.7.1-a1b2c3 --watch -o json   # one JSON status per line`,
    )
    .action(async (id: string, opts: { watch?: boolean; interval: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.watch) return watchToEnd(ctx, id, opts.interval);
      const status = await ctx.client.get<OperationStatus>(`/v1/operations/${seg(id)}`);
      ctx.emit(status, () => statusSummary(status));
    });
}
