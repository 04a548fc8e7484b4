// `fleetwave approve|pause|resume|cancel|retry|skip|events`: operator actions and the audit trail.
import type { Command } from 'commander';
import { seg } from '../client';
import { contextOf, intOption } from '../context';
import { readPages } from '../pages';
import { eventsTable } from '../render';
import type { AuditEventView } from '../types';

type Reason = { reason?: string };

/** An operator action with an optional `--reason` for the audit log; its action handler is the caller's. */
function actionCommand(program: Command, usage: string, description: string, example: string): Command {
  return program
    .command(usage)
    .description(description)
    .option('--reason <text>', 'kept in the audit log')
    .addHelpText('after', `\nExample:\n  ${example}`);
}

/** POSTs the action with its reason, if one was given; `said` is printed once the API accepted it. */
async function requestAction(cmd: Command, opts: Reason, path: string, said: string): Promise<void> {
  const ctx = contextOf(cmd);
  const answer = await ctx.client.post(path, opts.reason === undefined ? {} : { reason: opts.reason });
  ctx.emit(answer, () => said);
}

export function registerControl(program: Command): void {
  program
    .command('approve <id>')
    .description(
      'approve a wave that waits for manual approval (needs the approver role; not the identity that started it)',
    )
    .requiredOption('--wave <n>', 'the wave number awaiting approval', intOption(1))
    .option('--comment <text>', 'kept with the approval in the status and audit log')
    .addHelpText(
      'after',
      `
Example:
  fleetwave approve kafka-3.7.1-a1b2c3 --wave 2 --comment "canary looks healthy"`,
    )
    .action(async (id: string, opts: { wave: number; comment?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const answer = await ctx.client.post(`/v1/operations/${seg(id)}/approve`, {
        wave: opts.wave,
        ...(opts.comment === undefined ? {} : { comment: opts.comment }),
      });
      ctx.emit(answer, () => `approved wave ${opts.wave} of ${id}`);
    });

  const operationActions = [
    ['pause', 'stop starting new clusters; in-flight ones finish'],
    ['resume', 'continue a paused operation (a wave stopped by its failure budget gets a fresh budget)'],
    ['cancel', 'stop new work, let in-flight clusters finish, release leases; ends cancelled'],
  ] as const;
  for (const [action, description] of operationActions) {
    actionCommand(
      program,
      `${action} <id>`,
      description,
      `fleetwave ${action} kafka-3.7.1-a1b2c3 --reason "incident INC-42"`,
    ).action((id: string, opts: Reason, cmd: Command) =>
      requestAction(cmd, opts, `/v1/operations/${seg(id)}/${action}`, `${action} requested for ${id}`),
    );
  }

  const clusterActions = [
    ['retry', 're-queue a failed or rolled back cluster (while the operation runs or is paused)'],
    ['skip', 'mark a pending cluster skipped'],
  ] as const;
  for (const [action, description] of clusterActions) {
    actionCommand(
      program,
      `${action} <id> <cluster>`,
      description,
      `fleetwave ${action} kafka-3.7.1-a1b2c3 cust-aws-us-east-1-007`,
    ).action((id: string, cluster: string, opts: Reason, cmd: Command) =>
      requestAction(
        cmd,
        opts,
        `/v1/operations/${seg(id)}/clusters/${seg(cluster)}/${action}`,
        `${action} requested for cluster ${cluster} of ${id}`,
      ),
    );
  }

  program
    .command('events <id>')
    .description('the audit trail of an operation: who did what, when')
    .option('--limit <n>', 'events per page (1-1000)', intOption(1, 1000), 100)
    .option('--all', 'follow nextCursor until every event is listed')
    .addHelpText(
      'after',
      `
Example:
  fleetwave events kafka-3.7.1-a1b2c3 --all`,
    )
    .action(async (id: string, opts: { limit: number; all?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { items: events, next } = await readPages(
        async (cursor) => {
          const page = await ctx.client.get<{ events: AuditEventView[]; nextCursor: string | null }>(
            `/v1/operations/${seg(id)}/events`,
            { limit: opts.limit, cursor },
          );
          return { items: page.events, next: page.nextCursor };
        },
        { all: opts.all },
      );
      ctx.emit({ events, nextCursor: next }, () =>
        events.length === 0 ? 'no events' : `${eventsTable(events)}${next ? '\n\nmore events: add --all' : ''}`,
      );
    });
}
