// Operator actions as calls of the existing REST routes. Each button shows only for roles that may use it
// (domain/auth.ts roleAllows), and each answer is shown as the route gave it: 200 with what the workflow
// did, 202 when only delivered, or the refusal's status, code and words (409, 403, …).
import { roleAllows, type Role } from '../../domain/auth';
import { request, type Answer, type ApiErrorBody } from '../api';
import { h, type Attrs } from '../dom';
import type { Me, OperationStatus } from '../types';

export type ActionName = 'approve' | 'pause' | 'resume' | 'cancel' | 'retry' | 'skip' | 'set-parallel';

const NEEDS: Record<ActionName, Role> = {
  approve: 'approver',
  pause: 'operator',
  resume: 'operator',
  cancel: 'operator',
  retry: 'operator',
  skip: 'operator',
  'set-parallel': 'operator',
};

export const may = (me: Me, action: ActionName) => roleAllows(me.role, NEEDS[action]);

type ActionAnswer = OperationStatus &
  ApiErrorBody & { maxParallel?: number; wave?: number; outcome?: string; message?: string };

/** What an answer says, in one line. */
export function describeAnswer(action: ActionName, answer: Answer<ActionAnswer | undefined>): string {
  const body = answer.body;
  if (answer.status === 200 && action === 'set-parallel')
    return `${answer.status}: maxParallel is now ${body?.maxParallel}${body?.wave ? ` for wave ${body.wave}` : ' for the running wave and every later one'}`;
  if (answer.status === 200 && body?.actionResult)
    return `${answer.status} ${body.actionResult.outcome}: ${body.actionResult.message}`;
  if (answer.status === 202) return `202 delivered: ${body?.message ?? 'the workflow applies it once a worker runs'}`;
  const err = body?.error;
  if (err) return `${answer.status} ${err.code ?? 'error'}: ${err.message ?? ''}`;
  return `${answer.status}`;
}

/** The line under the action bar that shows the last answer, for people (aria-live) and tests (data-*). */
export class ActionResult {
  readonly el = h('p', { class: 'action-result', role: 'status', 'aria-live': 'polite', hidden: true });

  show(action: ActionName, label: string, answer: Answer<ActionAnswer | undefined>): void {
    this.el.hidden = false;
    this.el.dataset.actionResult = action;
    this.el.dataset.status = String(answer.status);
    this.el.classList.toggle('refused', answer.status >= 400);
    this.el.textContent = `${label}: ${describeAnswer(action, answer)}`;
  }

  failed(action: ActionName, label: string, err: unknown): void {
    this.el.hidden = false;
    this.el.dataset.actionResult = action;
    this.el.dataset.status = 'error';
    this.el.classList.add('refused');
    this.el.textContent = `${label}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export interface Actions {
  result: ActionResult;
  /** Sends one action; shows its answer; hands a status answer to the page. */
  run(
    action: ActionName,
    label: string,
    method: string,
    path: string,
    body?: unknown,
    button?: HTMLButtonElement,
  ): Promise<void>;
  button(
    action: ActionName,
    label: string,
    onClick: (button: HTMLButtonElement) => void,
    attrs?: Attrs,
  ): HTMLButtonElement;
}

export function createActions(operationId: string, onStatus: (status: OperationStatus) => void): Actions {
  const result = new ActionResult();
  const base = `/v1/operations/${encodeURIComponent(operationId)}`;
  return {
    result,
    async run(action, label, method, path, body, button) {
      if (button) button.disabled = true;
      try {
        const answer = await request<ActionAnswer | undefined>(method, `${base}${path}`, { body });
        result.show(action, label, answer);
        // A status answer (actions, moves) refreshes the page; a PATCH answers what changed, with wave numbers.
        if (answer.status === 200 && answer.body?.counts && answer.body.waves) onStatus(answer.body);
      } catch (err) {
        result.failed(action, label, err);
      } finally {
        if (button) button.disabled = false;
      }
    },
    button(action, label, onClick, attrs = {}) {
      const button = h('button', { type: 'button', 'data-action': action, ...attrs }, label);
      button.addEventListener('click', () => onClick(button));
      return button;
    },
  };
}
