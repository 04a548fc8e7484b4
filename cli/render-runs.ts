// Pure rendering of an operation's runs: the failed and rolled back clusters with what went wrong.
import { table } from './render';
import type { OperationRunView } from './types';

/** By wave, then cluster id: the order an operator works through failures in. */
export function byWaveThenId(runs: readonly OperationRunView[]): OperationRunView[] {
  return [...runs].sort(
    (a, b) => a.wave - b.wave || (a.clusterId < b.clusterId ? -1 : a.clusterId > b.clusterId ? 1 : 0),
  );
}

/** Errors quote adapters and control planes: one line each, so a row stays a row. */
const oneLine = (text: string | null | undefined) => (text ? text.replace(/\s+/g, ' ').trim() : null);

/**
 * `fleetwave operations failed`: a row per cluster. ADAPTER ATTEMPTS when some run made adapter calls;
 * LAST ADAPTER ERROR only when some run's differs from what its error already quotes.
 */
export function failedRunsText(id: string, runs: readonly OperationRunView[], wave?: number): string {
  const where = wave === undefined ? id : `wave ${wave} of ${id}`;
  if (runs.length === 0) return `no failed or rolled back clusters in ${where}`;
  const attemptsColumn = runs.some((r) => typeof r.adapterAttempts === 'number' && r.adapterAttempts > 0);
  const lastErrorColumn = runs.some((r) => {
    const last = oneLine(r.lastError);
    return last !== null && !(oneLine(r.error) ?? '').includes(last);
  });
  const head = [
    'CLUSTER',
    'WAVE',
    'STATE',
    'ATTEMPTS',
    ...(attemptsColumn ? ['ADAPTER ATTEMPTS'] : []),
    'ERROR',
    ...(lastErrorColumn ? ['LAST ADAPTER ERROR'] : []),
  ];
  const rows = byWaveThenId(runs).map((r) => [
    r.clusterId,
    r.wave,
    r.state,
    r.attempts,
    ...(attemptsColumn ? [r.adapterAttempts] : []),
    oneLine(r.error),
    ...(lastErrorColumn ? [oneLine(r.lastError)] : []),
  ]);
  const failed = runs.filter((r) => r.state === 'failed').length;
  const rolledBack = runs.filter((r) => r.state === 'rolled_back').length;
  return [
    table(head, rows),
    '',
    `${failed} failed, ${rolledBack} rolled back in ${where}`,
    `retry one: fleetwave operations retry ${id} <cluster>`,
  ].join('\n');
}
