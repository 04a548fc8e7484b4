// The heatmap's cells in the DOM: one list item per cluster, grouped by wave, each carrying the cluster id
// and the run state, each a button that selects the cluster. Screen readers and keyboards use this;
// tests read it. Updated in place, so a refresh of ten thousand runs touches only the cells that changed.
import { h } from '../dom';
import { plural, words } from '../format';
import type { Run } from '../types';
import type { CellGroup } from './heatmap';

export class CellList {
  readonly el: HTMLDetailsElement;
  private readonly body = h('div', {});
  private readonly summary = h('summary', {}, 'Every cluster as a list');
  private items = new Map<string, { li: HTMLLIElement; state: HTMLSpanElement }>();
  private shape = '';

  constructor(onSelect: (clusterId: string) => void) {
    this.el = h('details', { class: 'cells', 'data-heatmap-list': true }, this.summary, this.body);
    this.body.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-select]');
      if (button?.dataset.select) onSelect(button.dataset.select);
    });
  }

  update(groups: CellGroup[]): void {
    const total = groups.reduce((n, g) => n + g.runs.length, 0);
    this.summary.textContent = `Every cluster as a list (${plural(total, 'cluster')})`;
    // Same waves and clusters as before: only states change.
    const shape = groups.map((g) => `${g.wave}:${g.runs.map((r) => r.clusterId).join(',')}`).join(';');
    if (shape === this.shape) {
      for (const g of groups) for (const run of g.runs) this.set(run);
      return;
    }
    this.shape = shape;
    this.items = new Map();
    this.body.replaceChildren(
      ...groups.map((g) =>
        h(
          'section',
          { 'data-wave-cells': g.wave },
          h('h4', {}, g.label),
          h(
            'ul',
            {},
            g.runs.map((run) => this.item(run)),
          ),
        ),
      ),
    );
  }

  private item(run: Run): HTMLLIElement {
    const state = h('span', { class: `state state-${run.state}` }, words(run.state));
    const li = h(
      'li',
      { 'data-cluster-id': run.clusterId, 'data-state': run.state, 'data-wave': run.wave },
      h('button', { type: 'button', class: 'link', 'data-select': run.clusterId }, run.clusterId),
      ' ',
      state,
    );
    this.items.set(run.clusterId, { li, state });
    return li;
  }

  private set(run: Run): void {
    const item = this.items.get(run.clusterId);
    if (!item || item.li.dataset.state === run.state) return;
    item.li.dataset.state = run.state;
    item.state.className = `state state-${run.state}`;
    item.state.textContent = words(run.state);
  }
}
