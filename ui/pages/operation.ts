// One operation (/ui/operations/<id>): its summary and controls, the waves as a timeline, every cluster as a
// heatmap cell (and in an accessible list), the failed clusters with their errors, and the selected
// cluster's run. Live from the status stream; the run pages are fetched again when the counts change.
import { FINAL_OPERATION_STATES, type OperationStateName } from '../../domain/states';
import { h } from '../dom';
import { plural } from '../format';
import { createActions } from '../operation/actions';
import { CellList } from '../operation/cell-list';
import { Controls } from '../operation/controls';
import { Heatmap, type CellGroup } from '../operation/heatmap';
import { renderLegend } from '../operation/legend';
import { watchOperation, type LinkState } from '../operation/live';
import { RunsLoader } from '../operation/runs';
import { renderRunPanel, retryButton, type PanelContext } from '../operation/run-panel';
import { renderSummary } from '../operation/summary';
import { Timeline } from '../operation/timeline';
import type { OperationStatus, Page, Run } from '../types';
import { runsTable } from './runs-table';

const LINK_TEXT: Record<LinkState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unavailable: 'the API cannot read the status right now; retrying',
  finished: 'finished',
};

/** Cells by wave, in plan order; clusters the plan skipped last. */
function groupsOf(status: OperationStatus | null, runs: Run[]): CellGroup[] {
  const byWave = new Map<number, Run[]>();
  for (const run of runs) {
    const list = byWave.get(run.wave);
    if (list) list.push(run);
    else byWave.set(run.wave, [run]);
  }
  const groups: CellGroup[] = (status?.waves ?? []).map((w) => ({
    wave: w.number,
    label: `Wave ${w.number} · ${w.name} (${plural(byWave.get(w.number)?.length ?? 0, 'cluster')})`,
    runs: byWave.get(w.number) ?? [],
  }));
  const skipped = byWave.get(0);
  if (skipped?.length)
    groups.push({ wave: 0, label: `Not in a wave: skipped by the plan (${skipped.length})`, runs: skipped });
  return groups;
}

export const operationPage: Page = ({ root, params, me, config }) => {
  const id = params[0] ?? '';
  let status: OperationStatus | null = null;
  let runs: Run[] = [];
  let selected: string | null = null;
  let lastCounts = '';

  const title = h('h1', {}, id);
  const link = h('span', { class: 'link-state', 'data-link': 'connecting' }, LINK_TEXT.connecting);
  const summary = h('section', { class: 'summary', 'data-summary': true });
  const notice = h('p', { class: 'notice', role: 'alert', hidden: true });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Run states' });
  const failed = h('section', { 'data-failed': true });
  const panel = h('aside', { class: 'detail', 'aria-live': 'polite', 'data-run-panel': true });

  const apply = (next: OperationStatus) => {
    status = next;
    title.textContent = `${next.name} `;
    title.append(h('small', { class: 'muted' }, next.id));
    renderSummary(summary, next, config);
    controls.update(next);
    timeline.update(next);
    // Between run pages, the in-flight list moves cells to applying or monitoring at once.
    const inFlight = new Map(next.inFlight.map((f) => [f.clusterId, f.state]));
    if (inFlight.size)
      runs = runs.map((r) => (inFlight.has(r.clusterId) ? { ...r, state: inFlight.get(r.clusterId)! } : r));
    const counts = JSON.stringify([next.counts, next.state]);
    if (counts !== lastCounts) {
      lastCounts = counts;
      loader.request();
    }
    drawRuns();
  };

  const actions = createActions(id, apply);
  const ctx: PanelContext = { me, config, operationId: id, actions };
  const controls = new Controls(me, actions);
  const timeline = new Timeline(ctx);
  const heatmap = new Heatmap((run) => select(run.clusterId));
  const cells = new CellList((clusterId) => select(clusterId));
  const active = () => status !== null && !FINAL_OPERATION_STATES.includes(status.state as OperationStateName);

  const select = (clusterId: string) => {
    selected = clusterId;
    heatmap.select(clusterId);
    renderRunPanel(
      panel,
      runs.find((r) => r.clusterId === clusterId),
      ctx,
      active(),
    );
    panel.scrollIntoView({ block: 'nearest' });
  };

  function drawRuns() {
    const groups = groupsOf(status, runs);
    heatmap.update(groups, selected);
    cells.update(groups);
    renderLegend(legend, runs);
    const bad = runs.filter((r) => r.state === 'failed' || r.state === 'rolled_back');
    failed.replaceChildren(
      h('h2', {}, `Failed clusters (${bad.length})`),
      bad.length
        ? runsTable(bad, { actions: (run) => [active() ? retryButton(ctx, run) : null], select })
        : h('p', { class: 'muted' }, 'None.'),
    );
    renderRunPanel(
      panel,
      runs.find((r) => r.clusterId === selected),
      ctx,
      active(),
    );
  }

  const loader = new RunsLoader(
    id,
    (loaded) => {
      runs = loaded;
      notice.hidden = true;
      drawRuns();
    },
    (err) => {
      notice.hidden = false;
      notice.textContent = `The runs could not be read: ${String(err)}`;
    },
  );

  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/ui/operations' }, 'Operations'), ' / ', id, ' · ', link),
    title,
    notice,
    summary,
    controls.el,
    actions.result.el,
    h('h2', {}, 'Waves'),
    timeline.el,
    h('section', { class: 'split' }, h('div', {}, h('h2', {}, 'Clusters'), legend, heatmap.el, cells.el), panel),
    failed,
  );
  renderRunPanel(panel, undefined, ctx, false);

  const stop = watchOperation(id, {
    onStatus: apply,
    onLink: (state, detail) => {
      link.dataset.link = state;
      link.textContent = LINK_TEXT[state];
      if (detail) link.title = detail;
      if (state === 'finished') loader.request();
    },
    onFatal: (message) => {
      notice.hidden = false;
      notice.textContent = message;
      link.dataset.link = 'failed';
      link.textContent = 'not available';
    },
  });
  return () => {
    stop();
    loader.stop();
    heatmap.destroy();
  };
};
