// Every cluster of the operation as one cell, grouped by wave and coloured by run state, drawn on a canvas
// so that ten thousand stay quick to draw and to point at; hover tells the run, click selects it. The
// canvas is hidden from assistive technology: the cell list (cell-list.ts) says the same in the DOM.
import { h } from '../dom';
import { words } from '../format';
import { RUN_COLOURS } from '../palette';
import type { Run } from '../types';

export interface CellGroup {
  wave: number;
  label: string;
  runs: Run[];
}

interface Band {
  group: CellGroup;
  labelY: number;
  top: number;
  rows: number;
}

const LABEL_HEIGHT = 22;
const BAND_GAP = 10;

/** Cell size and gap for a number of cells: big enough to hit with a mouse, small enough to fit 10,000. */
export function cellSize(total: number): { size: number; gap: number } {
  if (total <= 300) return { size: 18, gap: 2 };
  if (total <= 2000) return { size: 10, gap: 2 };
  return { size: 6, gap: 1 };
}

export class Heatmap {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'heatmap', 'aria-hidden': 'true', 'data-heatmap': true });
  private readonly tip = h('div', { class: 'tip', role: 'tooltip', hidden: true, 'data-heatmap-tip': true });
  private groups: CellGroup[] = [];
  private bands: Band[] = [];
  private columns = 1;
  private size = 18;
  private gap = 2;
  private selected: string | null = null;
  private readonly resize: ResizeObserver;
  private frame = 0;

  constructor(private readonly onSelect: (run: Run) => void) {
    this.el = h('div', { class: 'heatmap-wrap' }, this.canvas, this.tip);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
    this.canvas.addEventListener('click', (e) => {
      const run = this.hit(e);
      if (run) this.onSelect(run);
    });
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.el);
  }

  update(groups: CellGroup[], selected: string | null): void {
    this.groups = groups;
    this.selected = selected;
    this.schedule();
  }

  select(clusterId: string | null): void {
    this.selected = clusterId;
    this.schedule();
  }

  destroy(): void {
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
  }

  private schedule(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  /** Lays the bands out for the current width and draws every cell; records how long it took. */
  draw(): void {
    const started = performance.now();
    const total = this.groups.reduce((n, g) => n + g.runs.length, 0);
    ({ size: this.size, gap: this.gap } = cellSize(total));
    const pitch = this.size + this.gap;
    const width = Math.max(pitch, this.el.clientWidth);
    this.columns = Math.max(1, Math.floor((width + this.gap) / pitch));
    let y = 0;
    this.bands = this.groups.map((group) => {
      const rows = Math.max(1, Math.ceil(group.runs.length / this.columns));
      const band = { group, labelY: y, top: y + LABEL_HEIGHT, rows };
      y = band.top + rows * pitch + BAND_GAP;
      return band;
    });
    const height = Math.max(1, y);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    let selectedAt = null as [number, number] | null;
    for (const band of this.bands) {
      ctx.fillStyle = '#222';
      ctx.fillText(band.group.label, 0, band.labelY + LABEL_HEIGHT / 2);
      const runs = band.group.runs;
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i]!;
        const x = (i % this.columns) * pitch;
        const top = band.top + Math.floor(i / this.columns) * pitch;
        ctx.fillStyle = RUN_COLOURS[run.state] ?? '#999';
        ctx.fillRect(x, top, this.size, this.size);
        if (run.clusterId === this.selected) selectedAt = [x, top];
      }
    }
    if (selectedAt) {
      const [x, top] = selectedAt;
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, top - 1, this.size + 2, this.size + 2);
    }
    this.canvas.dataset.cells = String(total);
    this.canvas.dataset.drawMs = (performance.now() - started).toFixed(1);
  }

  /** The run under the pointer, if any. */
  private hit(e: MouseEvent): Run | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const pitch = this.size + this.gap;
    const band = this.bands.find((b) => y >= b.top && y < b.top + b.rows * pitch);
    if (!band) return undefined;
    const column = Math.floor(x / pitch);
    const row = Math.floor((y - band.top) / pitch);
    if (column >= this.columns || x - column * pitch > this.size || y - band.top - row * pitch > this.size)
      return undefined;
    return band.group.runs[row * this.columns + column];
  }

  private hover(e: MouseEvent): void {
    const run = this.hit(e);
    if (!run) {
      this.tip.hidden = true;
      this.canvas.classList.remove('pointing');
      return;
    }
    this.canvas.classList.add('pointing');
    this.tip.replaceChildren(...tipLines(run).map((line) => h('div', {}, line)));
    this.tip.hidden = false;
    const box = this.el.getBoundingClientRect();
    const left = Math.min(e.clientX - box.left + 14, box.width - this.tip.offsetWidth - 4);
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${e.clientY - box.top + 14}px`;
  }
}

/** What hovering a cell tells: the cluster, its state, versions, attempts and error. */
export function tipLines(run: Run): string[] {
  return [
    run.clusterId,
    `state: ${words(run.state)}`,
    `version: ${run.fromVersion ?? '?'} → ${run.toVersion ?? '?'}`,
    `attempts: ${run.attempts}`,
    ...(run.error ? [`error: ${run.error}`] : run.lastError ? [`last error: ${run.lastError}`] : []),
    ...(run.heldBy ? [`waiting for the lease of ${run.heldBy}`] : []),
    ...(run.guard ? [`held back by the fleet guard: ${run.guard}`] : []),
    ...(run.windowOpensAt ? [`window opens ${new Date(run.windowOpensAt).toLocaleString()}`] : []),
  ];
}
