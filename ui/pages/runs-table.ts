// A table of runs: each row carries the cluster id and the run state, for people and for tests alike.
import { h } from '../dom';
import { when, words } from '../format';
import type { Run } from '../types';

export interface RunsTableOptions {
  /** The first column names the operation (a cluster's runs) instead of the cluster (an operation's). */
  operation?: boolean;
  /** Four columns for a narrow panel: the error goes under the state. */
  compact?: boolean;
  actions?: (run: Run) => (Node | null)[];
  select?: (clusterId: string) => void;
}

function firstCell(run: Run, opts: RunsTableOptions) {
  if (opts.operation) return h('a', { href: `/ui/operations/${encodeURIComponent(run.operationId)}` }, run.operationId);
  if (opts.select) {
    const select = opts.select;
    return h('button', { type: 'button', class: 'link', onclick: () => select(run.clusterId) }, run.clusterId);
  }
  return run.clusterId;
}

export function runsTable(runs: Run[], opts: RunsTableOptions = {}): HTMLTableElement {
  const first = opts.operation ? 'operation' : 'cluster';
  const head = opts.compact
    ? [first, 'state', 'versions', 'finished']
    : [first, 'wave', 'state', 'versions', 'attempts', 'error', 'finished', ...(opts.actions ? [''] : [])];
  const error = (run: Run) => run.error ?? run.lastError ?? '';
  const state = (run: Run) => h('span', { class: `state state-${run.state}` }, words(run.state));
  const versions = (run: Run) => `${run.fromVersion ?? '?'} → ${run.toVersion ?? '?'}`;
  const cells = (run: Run) =>
    opts.compact
      ? [
          h('td', {}, firstCell(run, opts)),
          h('td', {}, state(run), error(run) ? h('div', { class: 'error' }, error(run)) : null),
          h('td', {}, versions(run)),
          h('td', {}, when(run.finishedAt)),
        ]
      : [
          h('td', {}, firstCell(run, opts)),
          h('td', {}, run.wave || '—'),
          h('td', {}, state(run)),
          h('td', {}, versions(run)),
          h('td', {}, run.attempts),
          h('td', { class: 'error' }, error(run)),
          h('td', {}, when(run.finishedAt)),
          opts.actions ? h('td', {}, opts.actions(run)) : null,
        ];
  return h(
    'table',
    { class: 'list', 'data-list': 'runs' },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      runs.map((run) =>
        h(
          'tr',
          { 'data-cluster-id': run.clusterId, 'data-state': run.state, 'data-operation-id': run.operationId },
          ...cells(run),
        ),
      ),
    ),
  );
}
