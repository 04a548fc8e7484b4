// The selected cluster's run: every field the runs page gives, a link to its wave's workflow in the
// Temporal Web UI, and retry or skip when the run's state allows it and the role may.
import { h, replace } from '../dom';
import { when, words } from '../format';
import type { Me, Run, UiConfig } from '../types';
import { may, type Actions } from './actions';
import { waveLink } from './temporal-link';

export interface PanelContext {
  me: Me;
  config: UiConfig;
  operationId: string;
  actions: Actions;
}

export const retryable = (run: Run) => run.state === 'failed' || run.state === 'rolled_back';
export const skippable = (run: Run) =>
  ['pending', 'waiting_window', 'waiting_lease', 'waiting_guard'].includes(run.state);

export function retryButton(ctx: PanelContext, run: Run): HTMLButtonElement | null {
  if (!may(ctx.me, 'retry') || !retryable(run)) return null;
  const label = `Retry ${run.clusterId}`;
  return ctx.actions.button(
    'retry',
    'Retry',
    (b) =>
      void ctx.actions.run(
        'retry',
        label,
        'POST',
        `/clusters/${encodeURIComponent(run.clusterId)}/retry`,
        undefined,
        b,
      ),
    { 'data-cluster-id': run.clusterId, 'aria-label': label },
  );
}

export function skipButton(ctx: PanelContext, run: Run): HTMLButtonElement | null {
  if (!may(ctx.me, 'skip') || !skippable(run)) return null;
  const label = `Skip ${run.clusterId}`;
  return ctx.actions.button(
    'skip',
    'Skip',
    (b) =>
      void ctx.actions.run('skip', label, 'POST', `/clusters/${encodeURIComponent(run.clusterId)}/skip`, undefined, b),
    { 'data-cluster-id': run.clusterId, 'aria-label': label },
  );
}

export function renderRunPanel(el: HTMLElement, run: Run | undefined, ctx: PanelContext, active: boolean): void {
  if (!run) {
    el.replaceChildren(h('p', { class: 'muted' }, 'Click a cell (or a cluster in the list) to see its run.'));
    return;
  }
  const rows: [string, string | number | null][] = [
    ['state', words(run.state)],
    ['wave', run.wave || 'none: skipped by the plan'],
    ['version', `${run.fromVersion ?? '?'} → ${run.toVersion ?? '?'}`],
    ['attempts', run.attempts],
    ['error', run.error],
    ['last adapter error', run.lastError],
    ['adapter attempts', run.adapterAttempts],
    ['reason', run.reason],
    ['started', run.startedAt ? when(run.startedAt) : null],
    ['finished', run.finishedAt ? when(run.finishedAt) : null],
    ['window opens', run.windowOpensAt ? when(run.windowOpensAt) : null],
    ['waits for the lease of', run.heldBy],
    ['held back by the fleet guard', run.guard ?? null],
  ];
  replace(
    el,
    h('h3', { 'data-selected-cluster': run.clusterId, 'data-state': run.state }, run.clusterId),
    h(
      'dl',
      {},
      rows.filter(([, v]) => v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
    ),
    h(
      'p',
      {},
      waveLink(ctx.config, ctx.operationId, run.wave),
      ' ',
      h('a', { href: `/ui/?id=${encodeURIComponent(run.clusterId)}` }, 'Cluster in the fleet'),
    ),
    active ? h('p', { class: 'row' }, retryButton(ctx, run), skipButton(ctx, run)) : null,
  );
}
