// The operation at a glance: state, what it does, who started it, overall progress, and why it is paused
// or failed, spelled out; its alarms as last evaluated.
import { h, replace } from '../dom';
import { percent, plural, when, words } from '../format';
import type { OperationStatus, UiConfig } from '../types';
import { operationLink } from './temporal-link';

/** Why the operation is paused, in words, with what to do about it. */
export function pauseText(status: OperationStatus): string | null {
  const reason = status.pauseReason;
  if (!reason || status.state !== 'paused') return null;
  if (reason === 'operator')
    return 'Paused by an operator: in-flight clusters finish, none starts until someone resumes.';
  if (reason === 'failure_budget_exceeded') {
    const wave = status.waves.find((w) => w.number === status.currentWave);
    const budget = wave ? ` (wave ${wave.number} tolerates ${plural(wave.maxFailures, 'failure')})` : '';
    return `Paused by the failure budget: too many clusters failed in the wave${budget}. Retry or skip the failed clusters, then resume.`;
  }
  if (reason === 'total_failure_budget_exceeded')
    return 'Paused by the total failure budget: too many clusters failed across the operation. Retry or skip the failed clusters, then resume.';
  if (reason.startsWith('alarm:')) {
    const name = reason.slice('alarm:'.length);
    const alarm = status.alarms.find((a) => a.name === name);
    return `Paused by the alarm ${name}${alarm ? ` (${alarm.message})` : ''}. Resume once it no longer fires.`;
  }
  if (reason.startsWith('guard:'))
    return `Paused by the fleet limit ${reason.slice('guard:'.length)}: too many clusters in its scope failed in the last hour. Resume once it is no longer exceeded.`;
  return `Paused: ${reason}.`;
}

export function renderSummary(el: HTMLElement, status: OperationStatus, config: UiConfig): void {
  const { counts } = status;
  const done = counts.succeeded + counts.failed + counts.rolled_back + counts.skipped;
  const bar = h('span', { class: 'bar' });
  bar.style.width = `${percent(done, counts.total)}%`;
  const action = status.action.targetVersion
    ? `${status.action.type} to ${status.action.targetVersion}`
    : status.action.type;
  const pause = pauseText(status);
  replace(
    el,
    h(
      'p',
      { class: 'headline' },
      h('span', { class: `state op-${status.state}`, 'data-operation-state': status.state }, words(status.state)),
      ` ${action} · started by `,
      h('b', { 'data-started-by': status.startedBy }, status.startedBy),
      ` ${when(status.createdAt)} · updated ${when(status.updatedAt)} `,
      operationLink(config, status.id),
    ),
    h(
      'div',
      { class: 'progress' },
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
      h(
        'span',
        { 'data-progress': `${done}/${counts.total}` },
        `${done} of ${plural(counts.total, 'cluster')} done (${percent(done, counts.total)} %): ` +
          `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.rolled_back} rolled back, ${counts.skipped} skipped, ` +
          `${counts.running} running, ${counts.waiting} parked, ${counts.pending} pending`,
      ),
    ),
    pause ? h('p', { class: 'notice', 'data-pause-reason': status.pauseReason ?? '' }, pause) : null,
    status.pendingApproval
      ? h('p', { class: 'notice' }, `Wave ${status.pendingApproval.wave} waits for an approval.`)
      : null,
    status.error ? h('p', { class: 'notice', 'data-operation-error': true }, `Error: ${status.error}`) : null,
    status.note ? h('p', { class: 'muted' }, status.note) : null,
    status.forecast
      ? h(
          'p',
          { class: 'muted', 'data-expected-end': status.forecast.expectedEndAt },
          `Expected end: ${when(status.forecast.expectedEndAt)}` +
            (status.forecast.unknownWaits.length ? `, plus ${status.forecast.unknownWaits.join(', ')}` : ''),
        )
      : null,
    status.alarms.length
      ? h(
          'ul',
          { class: 'alarms' },
          status.alarms.map((a) =>
            h(
              'li',
              { 'data-alarm': a.name, 'data-firing': a.firing },
              h('b', {}, a.name),
              ` ${a.firing ? 'fires' : 'quiet'}: ${a.message} (checked ${when(a.checkedAt)})`,
            ),
          ),
        )
      : null,
  );
}
