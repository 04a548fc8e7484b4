// A table of runs: each row carries the cluster id and the run state, for people and for tests alike.
import { h } from '../dom';
import { when, words } from '../format';
import type { Run } from '../types';

export function runsTable(
  runs: Run[],
  opts: { operation?: boolean; actions?: (run: Run) => (Node | null)[]; select?: (clusterId: string) => void } = {},
): HTMLTableElement {
  const head = [
    opts.operation ? 'operation' : 'cluster',
    'wave',
    'state',
    'versions',
    'attempts',
    'error',
    'finished',
    ...(opts.actions ? [''] : []),
  ];
  return h(
    'table',
    { class: 'list', 'data-list': 'runs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      runs.map((run) =>
        h(
          'tr',
          { 'data-cluster-id': run.clusterId, 'data-state': run.state, 'data-operation-id': run.operationId },
          h(
            'td',
            {},
            opts.operation
              ? h('a', { href: `/ui/operations/${encodeURIComponent(run.operationId)}` }, run.operationId)
              : opts.select
                ? h(
                    'button',
                    { type: 'button', class: 'link', onclick: () => opts.select?.(run.clusterId) },
                    run.clusterId,
                  )
                : run.clusterId,
          ),
          h('td', {}, run.wave || '—'),
          h('td', {}, h('span', { class: `state state-${run.state}` }, words(run.state))),
          h('td', {}, `${run.fromVersion ?? '?'} → ${run.toVersion ?? '?'}`),
          h('td', {}, run.attempts),
          h('td', { class: 'error' }, run.error ?? run.lastError ?? ''),
          h('td', {}, when(run.finishedAt)),
          opts.actions ? h('td', {}, opts.actions(run)) : null,
        ),
      ),
    ),
  );
}
