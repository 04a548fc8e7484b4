// `fleetwave [operations] approve|pause|resume|cancel|retry|skip|set-parallel|events`: operator actions and the audit trail.
import type { Command } from 'commander';
import { seg } from '../client';
import { contextOf, intOption } from '../context';
import { ApiError } from '../errors';
import { readPages } from '../pages';
import { eventsTable } from '../render';
import { actionText, isFullStatus, type ActionWords } from '../render-actions';
import { statusSummary } from '../render-operations';
import type { ActionAnswer, AuditEventView, SetParallelAnswer } from '../types';

type Reason = { reason?: string };

/** An operator action with an optional `--reason` for the audit log; its action handler is the caller's. */
function actionCommand(parent: Command, usage: string, description: string, example: string): Command {
  return parent
    .command(usage)
    .description(description)
    .option('--reason <text>', 'kept in the audit log')
    .addHelpText('after', `\nExample:\n  ${example}`);
}

/** POSTs the action and says what the API answered: the applied state, a delivered-only message, or the error. */
async function requestAction(cmd: Command, path: string, body: object, words: ActionWords): Promise<void> {
  const ctx = contextOf(cmd);
  const answer = await ctx.client.post<ActionAnswer>(path, body);
  ctx.emit(answer, () => actionText(words, answer));
}

const reasonBody = (opts: Reason) => (opts.reason === undefined ? {} : { reason: opts.reason });

const ANSWERS_HELP = `
The API answers once the workflow applied the action (the command prints the new state and the
status), or refuses with the workflow's reason (exit 3: e.g. not_paused, already_paused,
operation_finished, alarm_firing). When no worker answers in time the action is still delivered:
the command prints the API's message and the workflow applies or refuses it when a worker runs.`;

/** An older server refuses a field it does not know; say what works there instead of only "unrecognized". */
function withWaveHint(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.status !== 400) return err;
  const said = [err.message, ...err.apiDetails.map((d) => `${d.path ?? ''} ${d.message}`)].join(' ');
  if (!/unrecognized key.*\bwave\b/i.test(said)) return err;
  return new ApiError(err.status, err.code, err.message, [
    ...err.apiDetails,
    {
      message:
        'hint: this API does not take --wave yet; without it the change applies to the running and every later wave',
    },
  ]);
}

function setParallelText(id: string, asked: { maxParallel: number; wave?: number }, answer: SetParallelAnswer): string {
  const n = typeof answer.maxParallel === 'number' ? answer.maxParallel : asked.maxParallel;
  const wave = typeof answer.wave === 'number' ? answer.wave : asked.wave;
  const scope = wave === undefined ? 'the running wave and every later one' : `wave ${wave}`;
  const line = `maxParallel of ${typeof answer.id === 'string' ? answer.id : id} is now ${n} for ${scope}`;
  return isFullStatus(answer) ? `${line}\n\n${statusSummary(answer)}` : line;
}

export function registerControl(parent: Command): void {
  parent
    .command('approve <id>')
    .description(
      'approve a wave that waits for manual approval (needs the approver role; not the identity that started it)',
    )
    .requiredOption('--wave <n>', 'the wave number awaiting approval', intOption(1))
    .option('--comment <text>', 'kept with the approval in the status and audit log')
    .addHelpText(
      'after',
      `${ANSWERS_HELP}

Example:
  fleetwave operations approve kafka-3.7.1-a1b2c3 --wave 2 --comment "canary looks healthy"`,
    )
    .action((id: string, opts: { wave: number; comment?: string }, cmd: Command) =>
      requestAction(
        cmd,
        `/v1/operations/${seg(id)}/approve`,
        { wave: opts.wave, ...(opts.comment === undefined ? {} : { comment: opts.comment }) },
        {
          id,
          done: `approved wave ${opts.wave}${opts.comment === undefined ? '' : ` (${JSON.stringify(opts.comment)})`}`,
          requested: `approval of wave ${opts.wave} requested for ${id}`,
        },
      ),
    );

  const operationActions = [
    ['pause', 'paused', 'stop starting new clusters; in-flight ones finish'],
    ['resume', 'resumed', 'continue a paused operation (a wave stopped by its failure budget gets a fresh budget)'],
    ['cancel', 'cancelled', 'stop new work, let in-flight clusters finish, release leases; ends cancelled'],
  ] as const;
  for (const [action, done, description] of operationActions) {
    actionCommand(
      parent,
      `${action} <id>`,
      description,
      `fleetwave operations ${action} kafka-3.7.1-a1b2c3 --reason "incident INC-42"`,
    )
      .addHelpText('after', ANSWERS_HELP)
      .action((id: string, opts: Reason, cmd: Command) =>
        requestAction(cmd, `/v1/operations/${seg(id)}/${action}`, reasonBody(opts), {
          id,
          done,
          requested: `${action} requested for ${id}`,
        }),
      );
  }

  const clusterActions = [
    ['retry', 'retried', 're-queue a failed or rolled back cluster (while the operation runs or is paused)'],
    ['skip', 'skipped', 'mark a pending (or parked) cluster skipped'],
  ] as const;
  for (const [action, done, description] of clusterActions) {
    actionCommand(
      parent,
      `${action} <id> <cluster>`,
      description,
      `fleetwave operations ${action} kafka-3.7.1-a1b2c3 cust-aws-us-east-1-007`,
    )
      .addHelpText('after', ANSWERS_HELP)
      .action((id: string, cluster: string, opts: Reason, cmd: Command) =>
        requestAction(cmd, `/v1/operations/${seg(id)}/clusters/${seg(cluster)}/${action}`, reasonBody(opts), {
          id,
          done: `${done} cluster ${cluster}`,
          requested: `${action} requested for cluster ${cluster} of ${id}`,
        }),
      );
  }

  parent
    .command('set-parallel')
    .description('change maxParallel of the running wave and every later one, or of one wave with --wave')
    .argument('<id>', 'the operation')
    .argument('<n>', 'clusters in flight at once (1-1000)', intOption(1, 1000))
    .option('--wave <k>', 'change only this wave (one that has not finished)', intOption(1))
    .addHelpText(
      'after',
      `
Examples:
  fleetwave operations set-parallel kafka-3.7.1-a1b2c3 20
  fleetwave operations set-parallel kafka-3.7.1-a1b2c3 5 --wave 3`,
    )
    .action(async (id: string, maxParallel: number, opts: { wave?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = opts.wave === undefined ? { maxParallel } : { maxParallel, wave: opts.wave };
      let answer: SetParallelAnswer;
      try {
        answer = await ctx.client.patch<SetParallelAnswer>(`/v1/operations/${seg(id)}`, body);
      } catch (err) {
        throw withWaveHint(err);
      }
      ctx.emit(answer, () => setParallelText(id, body, answer));
    });

  parent
    .command('events <id>')
    .description('the audit trail of an operation: who did what, when')
    .option('--limit <n>', 'events per page (1-1000)', intOption(1, 1000), 100)
    .option('--all', 'follow nextCursor until every event is listed')
    .addHelpText(
      'after',
      `
Example:
  fleetwave operations events kafka-3.7.1-a1b2c3 --all`,
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
