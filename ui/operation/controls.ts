// The operation's controls: pause, resume, cancel (with an optional reason for the audit log) and the
// parallelism of the running wave and later ones, or of one wave. Only for roles that may use them, and
// only while the operation is active.
import { FINAL_OPERATION_STATES } from '../../domain/states';
import { h } from '../dom';
import type { Me, OperationStatus } from '../types';
import { may, type Actions } from './actions';

export class Controls {
  readonly el = h('div', { class: 'controls', 'data-controls': true });
  private readonly reason = h('input', { name: 'reason', maxlength: 500, placeholder: 'reason (optional, audited)' });
  private readonly pause: HTMLButtonElement | null;
  private readonly resume: HTMLButtonElement | null;
  private readonly cancel: HTMLButtonElement | null;
  private readonly parallel: HTMLFormElement | null;
  private readonly waveSelect = h('select', { name: 'wave' });
  private readonly maxParallel = h('input', { name: 'maxParallel', type: 'number', min: 1, max: 1000, required: true });
  /** Once the user has typed a value, live updates no longer overwrite it. */
  private edited = false;

  constructor(me: Me, actions: Actions) {
    const body = () => (this.reason.value.trim() ? { reason: this.reason.value.trim() } : undefined);
    const simple = (name: 'pause' | 'resume' | 'cancel', label: string, question?: string) =>
      may(me, name)
        ? actions.button(name, label, (b) => {
            if (question && !window.confirm(question)) return;
            void actions.run(name, label, 'POST', `/${name}`, body(), b);
          })
        : null;
    this.pause = simple('pause', 'Pause');
    this.resume = simple('resume', 'Resume');
    this.cancel = simple(
      'cancel',
      'Cancel operation',
      'Cancel the operation? Clusters not started yet stay as they are.',
    );
    this.cancel?.classList.add('danger');
    this.parallel = may(me, 'set-parallel') ? this.parallelForm(actions) : null;
    this.maxParallel.addEventListener('input', () => (this.edited = true));
    const buttons = [this.pause, this.resume, this.cancel].filter((b) => b !== null);
    if (buttons.length) this.el.append(h('div', { class: 'row' }, h('label', {}, 'Reason', this.reason), ...buttons));
    if (this.parallel) this.el.append(this.parallel);
    this.el.hidden = true;
  }

  private parallelForm(actions: Actions): HTMLFormElement {
    const button = actions.button('set-parallel', 'Set parallelism', (b) => {
      const value = Number(this.maxParallel.value);
      const wave = Number(this.waveSelect.value);
      const label = 'Set parallelism';
      void actions.run('set-parallel', label, 'PATCH', '', { maxParallel: value, ...(wave ? { wave } : {}) }, b);
    });
    const form = h(
      'form',
      { class: 'row', 'data-parallel': true },
      h('label', {}, 'At most', this.maxParallel, 'at a time'),
      h('label', {}, 'for', this.waveSelect),
      button,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (form.reportValidity()) button.click();
    });
    return form;
  }

  update(status: OperationStatus): void {
    const active = status.state !== 'unknown' && !FINAL_OPERATION_STATES.includes(status.state);
    this.el.hidden = !active || this.el.childElementCount === 0;
    // Both stay usable: the status shown may lag, and the workflow decides (a refusal shows its reason).
    this.pause?.classList.toggle('secondary', status.state === 'paused');
    this.resume?.classList.toggle('secondary', status.state !== 'paused');
    if (!this.parallel) return;
    if (!this.edited) {
      const current = status.waves.find((w) => w.number === status.currentWave) ?? status.waves[0];
      this.maxParallel.value = String(current?.maxParallel ?? 1);
    }
    const options = [
      '0',
      ...status.waves
        .filter((w) => !['completed', 'stopped', 'failed', 'cancelled', 'empty'].includes(w.state))
        .map((w) => String(w.number)),
    ];
    const have = [...this.waveSelect.options].map((o) => o.value);
    if (options.join() !== have.join()) {
      const chosen = this.waveSelect.value;
      this.waveSelect.replaceChildren(
        ...options.map((n) =>
          h(
            'option',
            { value: n, selected: n === chosen },
            n === '0' ? 'the running wave and every later one' : `wave ${n} only`,
          ),
        ),
      );
    }
  }
}
