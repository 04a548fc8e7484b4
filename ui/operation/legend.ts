// The heatmap's legend in words: each run state with its colour and how many clusters are in it.
import type { RunState } from '../../domain/states';
import { h } from '../dom';
import { words } from '../format';
import { RUN_STATES } from '../../domain/states';
import { RUN_COLOURS } from '../palette';
import type { Run } from '../types';

export function renderLegend(el: HTMLElement, runs: Run[]): void {
  const counts = new Map<RunState, number>();
  for (const run of runs) counts.set(run.state, (counts.get(run.state) ?? 0) + 1);
  el.replaceChildren(
    // RUN_STATES lists how a run moves, then how it may end: the legend's order.
    ...RUN_STATES.map((state) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = RUN_COLOURS[state];
      return h('li', { 'data-legend': state }, swatch, `${words(state)} `, h('b', {}, counts.get(state) ?? 0));
    }),
  );
}
