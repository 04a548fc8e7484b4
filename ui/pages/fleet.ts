// Fleet (/ui/): the inventory through the same filters as GET /v1/clusters, counted by cloud, environment
// and version (a bar chart), and each cluster's lease and recent runs on click.
import { compareVersions } from '../../domain/semver';
import { getAllPages, getJson } from '../api';
import { h, replace } from '../dom';
import { percent, plural } from '../format';
import type { Cluster, Page, Run } from '../types';
import { runsTable } from './runs-table';

/** The filters of GET /v1/clusters this page offers, in its form's order. */
const FILTERS = ['kind', 'cloud', 'region', 'environment', 'tier', 'version', 'id'] as const;
const MAX_CLUSTERS = 10_000;
const ROWS_AT_ONCE = 200;

/** The REST query for the page's own query: the filters as they are, labels as `label.<key>=<value>`. */
export function clusterQuery(query: URLSearchParams): URLSearchParams {
  const rest = new URLSearchParams();
  for (const [key, value] of query) {
    if ((FILTERS as readonly string[]).includes(key) || key.startsWith('label.')) {
      if (value.trim()) rest.append(key, value.trim());
    }
  }
  return rest;
}

function filterForm(query: URLSearchParams, navigate: (url: string) => void): HTMLFormElement {
  const labels = [...query].filter(([k]) => k.startsWith('label.')).map(([k, v]) => `${k.slice(6)}=${v}`);
  const inputs = FILTERS.map((name) =>
    h(
      'label',
      {},
      name,
      h('input', { name, value: query.get(name) ?? '', placeholder: name === 'version' ? '3.6.0,3.6.1' : 'any' }),
    ),
  );
  const labelInput = h('input', { name: 'labels', value: labels.join(' '), placeholder: 'team=core' });
  const form = h(
    'form',
    { class: 'filters', 'data-filters': 'clusters' },
    inputs,
    h('label', {}, 'labels', labelInput),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '/ui/' }, 'Clear'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
      if (value) next.set(name, value);
    }
    for (const pair of labelInput.value.split(/[\s,]+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) next.append(`label.${pair.slice(0, eq)}`, pair.slice(eq + 1));
    }
    const search = next.toString();
    navigate(search ? `/ui/?${search}` : '/ui/');
  });
  return form;
}

/** Counts by one field, largest first, each a link that adds it to the filters. */
function breakdown(title: string, field: 'cloud' | 'environment', clusters: Cluster[], query: URLSearchParams) {
  const counts = new Map<string, number>();
  for (const c of clusters) counts.set(c[field], (counts.get(c[field]) ?? 0) + 1);
  const items = [...counts].sort((a, b) => b[1] - a[1]);
  return h(
    'section',
    { class: 'card', 'data-breakdown': field },
    h('h2', {}, title),
    h(
      'ul',
      { class: 'chips' },
      items.map(([value, n]) => {
        const q = new URLSearchParams(query);
        q.set(field, value);
        return h('li', {}, h('a', { href: `/ui/?${q.toString()}`, 'data-value': value }, `${value} `, h('b', {}, n)));
      }),
    ),
  );
}

/** Versions as horizontal bars, oldest first; each bar's width is its share of the largest. */
function versionChart(clusters: Cluster[]) {
  const counts = new Map<string, number>();
  for (const c of clusters) counts.set(c.version, (counts.get(c.version) ?? 0) + 1);
  const versions = [...counts.keys()].sort(compareVersions);
  const max = Math.max(1, ...counts.values());
  return h(
    'section',
    { class: 'card wide', 'data-chart': 'versions' },
    h('h2', { id: 'versions-title' }, 'Versions'),
    h(
      'ul',
      { class: 'bars', 'aria-labelledby': 'versions-title' },
      versions.map((version) => {
        const n = counts.get(version) ?? 0;
        const bar = h('span', { class: 'bar' });
        bar.style.width = `${Math.max(1, (n / max) * 100)}%`;
        return h(
          'li',
          { 'data-version': version, 'data-count': n },
          h('span', { class: 'bar-label' }, version),
          h('span', { class: 'bar-track' }, bar),
          h('span', { class: 'bar-value' }, `${n} (${percent(n, clusters.length)} %)`),
        );
      }),
    ),
  );
}

async function clusterDetail(id: string, panel: HTMLElement, signal: AbortSignal) {
  replace(panel, h('p', { class: 'muted' }, `Loading ${id}…`));
  try {
    const c = await getJson<Cluster & { lease: { operationId: string } | null; runs: Run[] }>(
      `/v1/clusters/${encodeURIComponent(id)}`,
      signal,
    );
    replace(
      panel,
      h('h2', {}, c.id),
      h(
        'p',
        {},
        `${c.name} · ${c.kind} ${c.version} · ${c.cloud} ${c.region} · ${c.environment}${c.tier ? ` · ${c.tier}` : ''}`,
        Object.keys(c.labels).length
          ? ` · ${Object.entries(c.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : '',
      ),
      h(
        'p',
        { 'data-lease': c.lease?.operationId ?? '' },
        c.lease
          ? [
              'Leased by operation ',
              h('a', { href: `/ui/operations/${encodeURIComponent(c.lease.operationId)}` }, c.lease.operationId),
            ]
          : 'No operation holds it.',
      ),
      h('h3', {}, 'Recent runs'),
      c.runs.length
        ? runsTable(c.runs, { operation: true, compact: true })
        : h('p', { class: 'muted' }, 'No runs yet.'),
    );
  } catch (err) {
    if (!signal.aborted) replace(panel, h('p', { class: 'notice', role: 'alert' }, String(err)));
  }
}

export const fleetPage: Page = ({ root, query, navigate }) => {
  const aborter = new AbortController();
  const summary = h('div', { class: 'grid' }, h('p', { class: 'muted' }, 'Loading the inventory…'));
  const table = h('div', { class: 'table-wrap' });
  const panel = h(
    'aside',
    { class: 'detail', 'aria-live': 'polite', 'data-cluster-detail': true },
    h('p', { class: 'muted' }, 'Click a cluster to see its lease and its recent runs.'),
  );
  root.append(h('h1', {}, 'Fleet'), filterForm(query, navigate), summary, h('div', { class: 'split' }, table, panel));
  let detail: AbortController | undefined;
  const show = (id: string) => {
    detail?.abort();
    detail = new AbortController();
    void clusterDetail(id, panel, detail.signal);
  };

  const rest = clusterQuery(query);
  rest.set('limit', '1000');
  getAllPages<Cluster>(`/v1/clusters?${rest.toString()}`, 'clusters', {
    signal: aborter.signal,
    maxItems: MAX_CLUSTERS,
  })
    .then(({ items, more }) => {
      replace(
        summary,
        h(
          'p',
          { class: 'total', 'data-total': items.length },
          more ? `The first ${plural(items.length, 'cluster')} match` : `${plural(items.length, 'cluster')} match`,
        ),
        breakdown('By cloud', 'cloud', items, query),
        breakdown('By environment', 'environment', items, query),
        versionChart(items),
      );
      renderRows(table, items, show);
    })
    .catch((err: unknown) => {
      if (!aborter.signal.aborted) replace(summary, h('p', { class: 'notice', role: 'alert' }, String(err)));
    });
  return () => {
    aborter.abort();
    detail?.abort();
  };
};

function renderRows(wrap: HTMLElement, clusters: Cluster[], show: (id: string) => void, shown = ROWS_AT_ONCE) {
  const rows = clusters
    .slice(0, shown)
    .map((c) =>
      h(
        'tr',
        { 'data-cluster-id': c.id },
        h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => show(c.id) }, c.id)),
        h('td', {}, c.kind),
        h('td', {}, c.cloud),
        h('td', {}, c.region),
        h('td', {}, c.environment),
        h('td', {}, c.tier ?? '—'),
        h('td', {}, c.version),
      ),
    );
  const head = ['cluster', 'kind', 'cloud', 'region', 'environment', 'tier', 'version'].map((t) =>
    h('th', { scope: 'col' }, t),
  );
  replace(
    wrap,
    h('table', { class: 'list', 'data-list': 'clusters' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)),
    clusters.length > shown
      ? h(
          'button',
          { type: 'button', onclick: () => renderRows(wrap, clusters, show, shown + ROWS_AT_ONCE * 5) },
          `Show more (${plural(clusters.length - shown, 'more cluster')})`,
        )
      : null,
  );
}
