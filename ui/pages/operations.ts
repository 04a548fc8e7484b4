// Operations (/ui/operations): newest first from GET /v1/operations, filtered by state and name, each
// with its progress and who started it (from its status), refreshed while the page is open.
import { OPERATION_STATES } from '../../domain/states';
import { getJson } from '../api';
import { h, replace } from '../dom';
import { percent, when, words } from '../format';
import type { OperationStatus, OperationSummary, Page } from '../types';

const REFRESH_MS = 5000;
const STATUS_AT_ONCE = 4;

function filterForm(query: URLSearchParams, navigate: (url: string) => void): HTMLFormElement {
  const state = h(
    'select',
    { name: 'state' },
    h('option', { value: '' }, 'any state'),
    OPERATION_STATES.map((s) => h('option', { value: s, selected: query.get('state') === s }, words(s))),
  );
  const name = h('input', { name: 'name', value: query.get('name') ?? '', placeholder: 'kafka-3.7.1' });
  const form = h(
    'form',
    { class: 'filters', 'data-filters': 'operations' },
    h('label', {}, 'state', state),
    h('label', {}, 'name', name),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '/ui/operations' }, 'Clear'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (state.value) next.set('state', state.value);
    if (name.value.trim()) next.set('name', name.value.trim());
    const search = next.toString();
    navigate(search ? `/ui/operations?${search}` : '/ui/operations');
  });
  return form;
}

/** Progress and starter of one row, filled in when its status arrives. */
function fillRow(row: HTMLTableRowElement, status: OperationStatus) {
  const { counts } = status;
  const done = counts.succeeded + counts.failed + counts.rolled_back + counts.skipped;
  const bar = h('span', { class: 'bar' });
  bar.style.width = `${percent(done, counts.total)}%`;
  row
    .querySelector('[data-cell=progress]')
    ?.replaceChildren(
      h('span', { class: 'bar-track small', 'aria-hidden': 'true' }, bar),
      ` ${done}/${counts.total}`,
      counts.failed ? h('span', { class: 'failed-count' }, ` · ${counts.failed} failed`) : '',
    );
  row.querySelector('[data-cell=started-by]')?.replaceChildren(status.startedBy);
  row.dataset.state = status.state;
  row
    .querySelector('[data-cell=state]')
    ?.replaceChildren(h('span', { class: `state op-${status.state}` }, words(status.state)));
}

export const operationsPage: Page = ({ root, query, navigate }) => {
  const aborter = new AbortController();
  const body = h('tbody', {});
  const more = h('div', {});
  const notice = h('p', { class: 'notice', role: 'alert', hidden: true });
  const head = ['operation', 'name', 'state', 'action', 'progress', 'started by', 'started', 'closed'];
  root.append(
    h('h1', {}, 'Operations'),
    filterForm(query, navigate),
    notice,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list', 'data-list': 'operations' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            head.map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
    ),
    more,
  );
  /** The last status of each operation: rows show it at once on a refresh; finished ones are not read again. */
  const known = new Map<string, OperationStatus>();
  let pages = 1;
  let timer: number | undefined;

  const statusOf = async (rows: Map<string, HTMLTableRowElement>) => {
    const queue = [...rows.entries()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [id, row] = next;
        const last = known.get(id);
        const ended = last && ['completed', 'failed', 'cancelled'].includes(last.state);
        const status = ended
          ? last
          : await getJson<OperationStatus>(`/v1/operations/${encodeURIComponent(id)}`, aborter.signal).catch(
              () => null,
            );
        if (!status) continue;
        known.set(id, status);
        fillRow(row, status);
      }
    };
    await Promise.all(Array.from({ length: STATUS_AT_ONCE }, worker));
  };

  const load = async () => {
    const params = new URLSearchParams();
    for (const key of ['state', 'name']) if (query.get(key)) params.set(key, query.get(key)!);
    params.set('limit', '50');
    const items: OperationSummary[] = [];
    let token: string | null = null;
    for (let page = 0; page < pages; page++) {
      const url: string = `/v1/operations?${params.toString()}${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
      const answer = await getJson<{ operations: OperationSummary[]; nextPageToken: string | null }>(
        url,
        aborter.signal,
      );
      items.push(...answer.operations);
      token = answer.nextPageToken;
      if (!token) break;
    }
    const rows = new Map<string, HTMLTableRowElement>();
    replace(
      body,
      items.map((op) => {
        const row = h(
          'tr',
          { 'data-operation-id': op.id, 'data-state': op.state },
          h('td', {}, h('a', { href: `/ui/operations/${encodeURIComponent(op.id)}` }, op.id)),
          h('td', {}, op.name),
          h('td', { 'data-cell': 'state' }, h('span', { class: `state op-${op.state}` }, words(op.state))),
          h('td', {}, op.targetVersion ? `${op.action} → ${op.targetVersion}` : op.action),
          h('td', { 'data-cell': 'progress' }, '…'),
          h('td', { 'data-cell': 'started-by' }, '…'),
          h('td', {}, when(op.startedAt)),
          h('td', {}, when(op.closedAt)),
        );
        rows.set(op.id, row);
        const last = known.get(op.id);
        if (last) fillRow(row, last);
        return row;
      }),
    );
    if (!items.length)
      body.append(h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, 'No operation matches.')));
    replace(
      more,
      token
        ? h(
            'button',
            {
              type: 'button',
              onclick: () => {
                pages++;
                void refresh();
              },
            },
            'Older operations',
          )
        : null,
    );
    await statusOf(rows);
  };

  const refresh = async () => {
    window.clearTimeout(timer);
    try {
      await load();
      notice.hidden = true;
    } catch (err) {
      if (aborter.signal.aborted) return;
      notice.hidden = false;
      notice.textContent = String(err);
    }
    if (!aborter.signal.aborted) timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  };
  void refresh();
  return () => {
    aborter.abort();
    window.clearTimeout(timer);
  };
};
