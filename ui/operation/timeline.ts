// The waves in order, as a timeline: each block carries its number and state (data-wave, data-state) and
// tells its counts, knobs, approval and bake; the wave waiting for approval offers the approve form to
// roles that may approve. Blocks update in place so a comment being typed survives live updates.
import { h } from '../dom';
import { duration, percent, plural, when, words } from '../format';
import type { Me, OperationStatus, UiConfig, WaveStatus } from '../types';
import { may, type Actions } from './actions';
import { waveLink } from './temporal-link';

class WaveBlock {
  readonly el: HTMLElement;
  private readonly state = h('span', {});
  private readonly bar = h('span', { class: 'bar' });
  private readonly counts = h('p', { class: 'counts' });
  private readonly knobs = h('p', { class: 'muted' });
  private readonly approval = h('p', {});
  private readonly shadow = h('p', { class: 'muted', 'data-shadow': true });
  private readonly times = h('p', { class: 'muted' });
  private readonly link = h('p', {});
  private readonly gate = h('div', {});
  private form: HTMLFormElement | null = null;

  constructor(
    private readonly wave: WaveStatus,
    private readonly ctx: { me: Me; config: UiConfig; operationId: string; actions: Actions },
  ) {
    this.el = h(
      'article',
      { class: 'wave', 'data-wave': wave.number },
      h('h3', {}, `Wave ${wave.number} · ${wave.name} `, this.state),
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, this.bar),
      this.counts,
      this.knobs,
      this.approval,
      this.shadow,
      this.times,
      this.link,
      this.gate,
    );
  }

  update(wave: WaveStatus, status: OperationStatus): void {
    const { counts } = wave;
    const done = counts.succeeded + counts.failed + counts.rolled_back + counts.skipped;
    this.el.dataset.state = wave.state;
    this.el.classList.toggle('current', status.currentWave === wave.number);
    this.state.className = `state wave-${wave.state}`;
    this.state.textContent = words(wave.state);
    this.bar.style.width = `${percent(done, wave.size)}%`;
    const parts = [`${counts.succeeded} of ${wave.size} succeeded`];
    if (counts.running) parts.push(`${counts.running} running`);
    if (counts.waiting) parts.push(`${counts.waiting} parked`);
    if (counts.failed) parts.push(`${counts.failed} failed`);
    if (counts.rolled_back) parts.push(`${counts.rolled_back} rolled back`);
    if (counts.skipped) parts.push(`${counts.skipped} skipped`);
    if (counts.pending) parts.push(`${counts.pending} pending`);
    this.counts.textContent = parts.join(' · ');
    this.knobs.textContent =
      `at most ${wave.maxParallel} at a time · tolerates ${plural(wave.maxFailures, 'failure')}` +
      (wave.bakeSeconds ? ` · bakes ${wave.bakeSeconds} s after` : '');
    this.approval.textContent = approvalText(wave);
    this.approval.dataset.approval = wave.approval;
    this.shadow.textContent = shadowText(wave);
    this.shadow.hidden = !wave.shadow?.length;
    this.times.textContent = wave.startedAt
      ? `started ${when(wave.startedAt)}` +
        (wave.finishedAt ? ` · finished ${when(wave.finishedAt)} (${duration(wave.startedAt, wave.finishedAt)})` : '')
      : 'not started';
    if (!this.link.firstChild && wave.startedAt) {
      const a = waveLink(this.ctx.config, this.ctx.operationId, wave.number);
      if (a) this.link.append(a);
    }
    const waiting = status.pendingApproval?.wave === wave.number && wave.state === 'awaiting_approval';
    if (waiting && may(this.ctx.me, 'approve')) {
      this.form ??= this.approveForm();
      if (!this.form.isConnected) this.gate.append(this.form);
    } else if (this.form) {
      this.form.remove();
      this.form = null;
    }
  }

  private approveForm(): HTMLFormElement {
    const comment = h('input', { name: 'comment', maxlength: 1000, placeholder: 'why it may go on (optional)' });
    const button = this.ctx.actions.button('approve', `Approve wave ${this.wave.number}`, (b) => {
      const body = { wave: this.wave.number, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) };
      void this.ctx.actions.run('approve', `Approve wave ${this.wave.number}`, 'POST', '/approve', body, b);
    });
    const form = h(
      'form',
      { class: 'approve', 'data-approve-wave': this.wave.number },
      h('label', {}, 'Comment', comment),
      button,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      button.click();
    });
    return form;
  }
}

/** The shadow rules, never enforced: how many evaluated clusters would have failed each. */
function shadowText(wave: WaveStatus): string {
  const rules = (wave.shadow ?? []).map((s) => `${s.rule}: ${s.wouldFail} of ${s.evaluated} would fail`);
  return rules.length ? `shadow rules (not enforced) · ${rules.join(' · ')}` : '';
}

function approvalText(wave: WaveStatus): string {
  if (wave.approvedBy)
    return `approved by ${wave.approvedBy} ${when(wave.approvedAt)}${wave.approvalComment ? `: “${wave.approvalComment}”` : ''}`;
  if (wave.approval === 'manual')
    return wave.state === 'awaiting_approval' ? 'waits for a manual approval' : 'needs a manual approval';
  return 'no approval needed';
}

export class Timeline {
  readonly el = h('ol', { class: 'timeline', 'data-timeline': true });
  private blocks = new Map<number, WaveBlock>();

  constructor(private readonly ctx: { me: Me; config: UiConfig; operationId: string; actions: Actions }) {}

  update(status: OperationStatus): void {
    if (status.waves.length !== this.blocks.size) {
      this.blocks = new Map(status.waves.map((w) => [w.number, new WaveBlock(w, this.ctx)]));
      this.el.replaceChildren(...[...this.blocks.values()].map((b) => h('li', {}, b.el)));
    }
    for (const wave of status.waves) this.blocks.get(wave.number)?.update(wave, status);
  }
}
