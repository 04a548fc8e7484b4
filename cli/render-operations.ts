// Pure rendering of plans and operation status: tables, the one-line progress and the hints for people.
import { formatDuration, formatTime, table } from './render';
import type { OperationStatus, PlanView, RunCounts } from './types';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Clusters that reached an end state: the numerator of every progress figure. */
export const doneOf = (c: RunCounts) => c.succeeded + c.failed + c.rolled_back + c.skipped;

function planTable(plan: PlanView): string {
  return table(
    ['WAVE', 'NAME', 'CLUSTERS', 'MAX PARALLEL', 'MAX FAILURES', 'BAKE', 'APPROVAL'],
    plan.waves.map((w) => [
      w.number,
      w.name,
      w.size ?? w.clusterIds?.length ?? 0,
      w.maxParallel,
      w.maxFailures,
      formatDuration(w.bakeSeconds),
      w.approval,
    ]),
  );
}

/** The plan table, then what it adds up to and what was left out and why. */
export function planSummary(plan: PlanView): string {
  const skippedCount = plan.skippedCount ?? plan.skipped.length;
  const reasons = new Map<string, number>();
  for (const s of plan.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  const why = [...reasons].map(([reason, n]) => `${reason}: ${n}`).join(', ');
  const lines = [
    planTable(plan),
    '',
    `total: ${plural(plan.total, 'cluster')} in ${plural(plan.waves.length, 'wave')}`,
    `skipped: ${skippedCount}${why ? ` (${why})` : ''}`,
  ];
  if (plan.emptyWaves && plan.emptyWaves.length > 0)
    lines.push(`declared waves that matched no cluster: ${plan.emptyWaves.join(', ')}`);
  return lines.join('\n');
}

/** Null when the answer carries no operation action (an action route's 200 may put its own report there). */
function actionText(action: OperationStatus['action'] | undefined): string | null {
  switch (action?.type) {
    case 'upgrade':
      return `upgrade to ${action.targetVersion}`;
    case 'restart':
      return 'rolling restart';
    case 'config':
      return `config change (${Object.keys(action.settings ?? {}).join(', ')})`;
    default:
      return null;
  }
}

function countsText(c: RunCounts): string {
  const parts = [`${c.succeeded} succeeded`, `${c.failed} failed`];
  if (c.rolled_back > 0) parts.push(`${c.rolled_back} rolled back`);
  if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
  parts.push(`${c.running} in flight`);
  // Parked for a maintenance window or another operation's lease (absent from older servers).
  if ((c.waiting ?? 0) > 0) parts.push(`${c.waiting} waiting`);
  return parts.join(', ');
}

/** The line people act on: which wave waits and the exact command that releases it. */
export function approvalHint(s: Pick<OperationStatus, 'id' | 'pendingApproval'>): string | null {
  const wave = s.pendingApproval?.wave;
  return wave === undefined ? null : `waiting for approval of wave ${wave}: fleetwave approve ${s.id} --wave ${wave}`;
}

export function pauseHint(s: Pick<OperationStatus, 'id' | 'state' | 'pauseReason'>): string | null {
  if (s.state !== 'paused') return null;
  const why = s.pauseReason ?? 'operator';
  // Resume is refused while the alarm fires: say so rather than offer a command that answers 409.
  const when = why.startsWith('alarm:')
    ? ' once the alarm no longer fires'
    : why.startsWith('guard:')
      ? ' once the fleet limit is no longer exceeded (fleetwave guard)'
      : '';
  return `paused (${why}): continue with fleetwave resume ${s.id}${when}, or stop with fleetwave cancel ${s.id}`;
}

/** While freezes hold every cluster the operation has not finished: which, and until when. */
export function frozenLine(s: Pick<OperationStatus, 'frozen'>): string | null {
  if (!s.frozen) return null;
  return `frozen by ${s.frozen.freezes.join(', ')} until ${formatTime(s.frozen.until)}: no cluster starts before then (fleetwave guard)`;
}

/** One line per alarm: whether it fires, what its source said, when it was last evaluated. */
export function alarmLines(s: Pick<OperationStatus, 'alarms'>): string[] {
  return (s.alarms ?? []).map(
    (a) =>
      `alarm ${a.name}: ${a.firing ? 'FIRING' : 'ok'} — ${a.message}${a.checkedAt ? ` (checked ${formatTime(a.checkedAt)})` : ''}`,
  );
}

/** One line per change when stdout is not a terminal: the current wave, then the operation as a whole. */
export function progressLine(s: OperationStatus): string {
  const total = `total ${doneOf(s.counts)}/${s.counts.total} done: ${countsText(s.counts)}`;
  const wave = s.currentWave === null ? undefined : s.waves.find((w) => w.number === s.currentWave);
  if (!wave) return `${s.state} | ${total}`;
  return `${s.state} | wave ${wave.number}/${s.waves.length} ${wave.name} ${wave.state}: ${doneOf(wave.counts)}/${wave.size} done, ${countsText(wave.counts)} | ${total}`;
}

export function finalLine(s: Pick<OperationStatus, 'id' | 'state' | 'counts'>): string {
  const c = s.counts;
  return `operation ${s.id} ${s.state}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.rolled_back} rolled back, ${c.skipped} skipped of ${c.total}`;
}

function wavesTable(s: OperationStatus): string {
  return table(
    [
      'WAVE',
      'NAME',
      'STATE',
      'TOTAL',
      'SUCCEEDED',
      'FAILED',
      'ROLLED BACK',
      'SKIPPED',
      'IN FLIGHT',
      'PENDING',
      'APPROVAL',
    ],
    s.waves.map((w) => [
      w.number,
      w.name,
      w.state,
      w.size,
      w.counts.succeeded,
      w.counts.failed,
      w.counts.rolled_back,
      w.counts.skipped,
      w.counts.running,
      w.counts.pending,
      w.approval === 'manual' ? `manual${w.approvedBy ? ` (${w.approvedBy})` : ''}` : 'none',
    ]),
  );
}

/** The forecast end, and the waits it leaves out (docs/concepts.md, Forecasts). */
function expectedEnd(forecast: NonNullable<OperationStatus['forecast']>): string {
  const end = formatTime(forecast.expectedEndAt);
  return forecast.unknownWaits.length === 0 ? end : `${end}, plus ${forecast.unknownWaits.join(', ')}`;
}

/** `fleetwave status <id>`: the header, the per-wave table, what needs a person, what runs now. */
export function statusSummary(s: OperationStatus): string {
  const where = s.currentWave === null ? '' : `, wave ${s.currentWave} of ${s.waves.length}`;
  const action = actionText(s.action);
  const header: [string, string][] = [
    ['operation', `${s.id} (${s.name})`],
    ['state', `${s.state}${where}`],
    ...(action === null ? [] : [['action', action] as [string, string]]),
    ['started', `${formatTime(s.createdAt)} by ${s.startedBy}`],
    ['clusters', `${s.counts.total} total: ${countsText(s.counts)}, ${s.counts.pending} pending`],
    ...(s.forecast ? [['expected end', expectedEnd(s.forecast)] as [string, string]] : []),
  ];
  const width = Math.max(...header.map(([k]) => k.length));
  const lines = [...header.map(([k, v]) => `${k.padEnd(width)}  ${v}`), '', wavesTable(s)];
  const notes = [
    approvalHint(s),
    pauseHint(s),
    frozenLine(s),
    ...alarmLines(s),
    s.error ? `error: ${s.error}` : null,
    s.note ? `note: ${s.note}` : null,
  ].filter((l): l is string => l !== null);
  if (notes.length > 0) lines.push('', ...notes);
  if (s.inFlight.length > 0) {
    lines.push(
      '',
      'in flight:',
      table(
        ['CLUSTER', 'WAVE', 'STATE', 'SINCE'],
        s.inFlight.map((r) => [r.clusterId, r.wave, r.state, formatTime(r.startedAt)]),
      ),
    );
  }
  return lines.join('\n');
}
