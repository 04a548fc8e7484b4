// Plan preview (/ui/plan): an operation request in JSON or YAML, its dry-run plan as waves of cluster
// chips (POST /v1/operations?dryRun=true), then a start of exactly that request and its page.
import { parse as parseYaml } from 'yaml';
import { roleAllows } from '../../domain/auth';
import { request, type ApiErrorBody } from '../api';
import { h, replace } from '../dom';
import { plural } from '../format';
import type { Page, Plan } from '../types';

const DRAFT_KEY = 'fleetwave.plan-draft';
const CHIPS_PER_WAVE = 500;

export const SAMPLE = `# An operation request (docs/rest-api.md, POST /v1/operations), in YAML or JSON.
name: kafka-3.7.1
action: { type: upgrade, targetVersion: 3.7.1 }
selector: { kind: kafka, versionBelow: 3.7.1 }
waves:
  - { name: internal, selector: { environment: internal }, maxParallel: 3 }
  - { name: gcp-canary, selector: { environment: customer, cloud: gcp }, percent: 10, approval: manual, bakeSeconds: 10 }
  - { name: rest, maxParallel: 10, maxFailures: 2 }
monitor: { timeoutSeconds: 60, intervalSeconds: 1, stableChecks: 2 }
`;

/** JSON when it looks like JSON, else YAML; throws with the parser's words. */
export function parseSpec(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('the request is empty');
  return trimmed.startsWith('{') ? JSON.parse(trimmed) : parseYaml(trimmed);
}

/** A key for one start: repeated clicks or a retried request never start twice. */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function errorList(status: number, body: unknown): HTMLElement {
  const err = (body as ApiErrorBody | undefined)?.error;
  return h(
    'div',
    { class: 'notice', role: 'alert', 'data-plan-error': err?.code ?? status },
    h('p', {}, `${status} ${err?.code ?? ''}: ${err?.message ?? JSON.stringify(body)}`),
    err?.details?.length
      ? h(
          'ul',
          {},
          err.details.map((d) => h('li', {}, d.path ? `${d.path}: ${d.message}` : (d.message ?? ''))),
        )
      : null,
  );
}

function renderPlan(plan: Plan): HTMLElement[] {
  const skipped = plan.skipped.length;
  return [
    h(
      'p',
      { class: 'total', 'data-plan-total': plan.total },
      `${plural(plan.total, 'cluster')} in ${plural(plan.waves.length, 'wave')}` +
        (skipped ? `; ${plural(skipped, 'cluster')} skipped (already at the target)` : '') +
        (plan.emptyWaves.length ? `; empty waves: ${plan.emptyWaves.join(', ')}` : ''),
    ),
    ...plan.waves.map((wave) =>
      h(
        'section',
        { class: 'card plan-wave', 'data-plan-wave': wave.number },
        h('h3', {}, `Wave ${wave.number} · ${wave.name} (${plural(wave.clusterIds.length, 'cluster')})`),
        h(
          'p',
          { class: 'muted' },
          `at most ${wave.maxParallel} at a time · tolerates ${plural(wave.maxFailures, 'failure')}` +
            (wave.bakeSeconds ? ` · bakes ${wave.bakeSeconds} s` : '') +
            (wave.approval === 'manual' ? ' · waits for a manual approval' : ''),
        ),
        h(
          'ul',
          { class: 'chips' },
          wave.clusterIds.slice(0, CHIPS_PER_WAVE).map((id) => h('li', { class: 'chip', 'data-cluster-id': id }, id)),
          wave.clusterIds.length > CHIPS_PER_WAVE
            ? h('li', { class: 'muted' }, `and ${plural(wave.clusterIds.length - CHIPS_PER_WAVE, 'more')}`)
            : null,
        ),
      ),
    ),
  ];
}

export const planPage: Page = ({ root, me, navigate }) => {
  const spec = h('textarea', { id: 'spec', name: 'spec', rows: 18, spellcheck: 'false', 'data-plan-spec': true });
  spec.value = sessionStorage.getItem(DRAFT_KEY) ?? SAMPLE;
  const output = h('div', { class: 'plan', 'aria-live': 'polite', 'data-plan': true });
  const preview = h('button', { type: 'submit', 'data-plan-action': 'preview' }, 'Preview the plan');
  const canStart = roleAllows(me.role, 'operator');
  const start = h(
    'button',
    { type: 'button', 'data-plan-action': 'start', disabled: true, hidden: !canStart },
    'Start it',
  );
  /** The request the shown plan is of, and the key its start will carry. */
  let previewed: { text: string; body: unknown; key: string } | null = null;

  spec.addEventListener('input', () => {
    sessionStorage.setItem(DRAFT_KEY, spec.value);
    start.disabled = previewed?.text !== spec.value;
  });

  const form = h(
    'form',
    { class: 'plan-form' },
    h('label', { for: 'spec' }, 'Operation request (JSON or YAML)'),
    spec,
    h(
      'p',
      { class: 'row' },
      preview,
      start,
      canStart
        ? null
        : h('span', { class: 'muted', 'data-plan-role': true }, 'A dry run and a start both need the operator role.'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runPreview();
  });
  start.addEventListener('click', () => void runStart());
  root.append(h('h1', {}, 'Plan preview'), form, output);

  async function runPreview() {
    let body: unknown;
    try {
      body = parseSpec(spec.value);
    } catch (err) {
      replace(
        output,
        h('p', { class: 'notice', role: 'alert', 'data-plan-error': 'parse' }, `Not JSON or YAML: ${String(err)}`),
      );
      return;
    }
    const text = spec.value;
    preview.disabled = true;
    try {
      const answer = await request<{ plan?: Plan }>('POST', '/v1/operations?dryRun=true', { body });
      if (answer.status === 200 && answer.body.plan) {
        previewed = { text, body, key: idempotencyKey() };
        replace(output, ...renderPlan(answer.body.plan));
        start.disabled = spec.value !== text;
      } else {
        previewed = null;
        start.disabled = true;
        replace(output, errorList(answer.status, answer.body));
      }
    } catch (err) {
      replace(output, h('p', { class: 'notice', role: 'alert' }, String(err)));
    } finally {
      preview.disabled = false;
    }
  }

  async function runStart() {
    if (!previewed || previewed.text !== spec.value) return;
    start.disabled = true;
    try {
      const answer = await request<{ id?: string }>('POST', '/v1/operations', {
        body: previewed.body,
        headers: { 'idempotency-key': previewed.key },
      });
      if ((answer.status === 201 || answer.status === 200) && answer.body.id) {
        navigate(`/ui/operations/${encodeURIComponent(answer.body.id)}`);
        return;
      }
      output.prepend(errorList(answer.status, answer.body));
    } catch (err) {
      output.prepend(h('p', { class: 'notice', role: 'alert' }, String(err)));
    }
    start.disabled = false;
  }
};
