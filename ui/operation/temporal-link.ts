// Links into the Temporal Web UI, when the API knows where it is (GET /ui/config.json).
import { waveWorkflowId } from '../../domain/ids';
import { h } from '../dom';
import type { UiConfig } from '../types';

export function workflowUrl(config: UiConfig, workflowId: string): string | null {
  if (!config.temporalUiUrl) return null;
  const base = config.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The wave's child workflow in the Temporal Web UI, or nothing. */
export function waveLink(config: UiConfig, operationId: string, wave: number, text = 'Wave workflow in Temporal') {
  const url = wave > 0 ? workflowUrl(config, waveWorkflowId(operationId, wave)) : null;
  return url
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', 'data-temporal-link': wave }, text)
    : null;
}

export function operationLink(config: UiConfig, operationId: string) {
  const url = workflowUrl(config, operationId);
  return url
    ? h(
        'a',
        { href: url, target: '_blank', rel: 'noopener noreferrer', 'data-temporal-link': 'operation' },
        'Workflow in Temporal',
      )
    : null;
}
