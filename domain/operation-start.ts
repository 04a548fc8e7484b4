// What starting an operation needs besides its request: the plan (or a 400), the workflow's input,
// the Web UI's summary, and the canonical JSON the idempotency fingerprint hashes.
import { FleetError } from './errors';
import type { OperationRequest } from './operation';
import { planOperation, type Plan } from './planner';
import type { PlannableCluster } from './selector';
import type { OperationInput } from './workflow-contracts';

/** One line for the Web UI's summary and a few for its details, so a person sees what runs. */
export function describeOperation(
  request: OperationRequest,
  plan: Plan,
  startedBy: string,
): { summary: string; details: string } {
  const { action } = request;
  const what =
    action.type === 'upgrade'
      ? `upgrade to ${action.targetVersion}`
      : action.type === 'config'
        ? `config change (${Object.keys(action.settings).join(', ')})`.slice(0, 120)
        : 'rolling restart';
  const summary = `${what} · ${plan.total} clusters in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}`;
  const waves = plan.waves
    .slice(0, 20)
    .map(
      (w) =>
        `${w.number}. ${w.name}: ${w.clusterIds.length} clusters, maxParallel ${w.maxParallel}${w.approval === 'manual' ? ', manual approval' : ''}`,
    );
  if (plan.waves.length > 20) waves.push(`… and ${plan.waves.length - 20} more waves`);
  const details = [
    `**${request.name}** started by ${startedBy}`,
    ...waves,
    `skipped at plan: ${plan.skipped.length}; on failure: ${request.onFailure}; rollback: ${request.rollbackOnFailure}`,
  ].join('\n');
  return { summary, details };
}

/** Fails the way the API answers: an empty selection (planner) or nothing left to do is a 400. */
export function planOrThrow(request: OperationRequest, clusters: readonly PlannableCluster[]): Plan {
  const plan = planOperation(request, clusters);
  if (plan.total === 0) {
    throw new FleetError(
      400,
      'nothing_to_do',
      `every selected cluster (${plan.skipped.length}) is already at the target; nothing to do`,
      plan.skipped
        .slice(0, 100)
        .map((s) => ({ path: s.clusterId, message: s.reason, clusterId: s.clusterId, reason: s.reason })),
    );
  }
  return plan;
}

/** An operation as recorded at start (db/operations.ts keeps it). */
export interface RecordedOperation {
  id: string;
  name: string;
  request: OperationRequest;
  plan: Plan;
  startedBy: string;
  createdAt: string;
}

/** The workflow's input: wave settings and sizes only; cluster ids stay in PostgreSQL (cluster_runs). */
export function operationInput(op: RecordedOperation, settings: { allowSelfApproval: boolean }): OperationInput {
  const { request } = op;
  return {
    operationId: op.id,
    name: op.name,
    action: request.action,
    monitor: request.monitor,
    limits: request.limits,
    // Requests recorded before alarms existed have none.
    ...((request.alarms ?? []).length > 0
      ? { alarms: request.alarms, alarmIntervalSeconds: request.alarmIntervalSeconds }
      : {}),
    waves: op.plan.waves.map(({ clusterIds, ...w }) => ({ ...w, size: clusterIds.length })),
    maxFailuresTotal: request.maxFailuresTotal ?? null,
    onFailure: request.onFailure,
    rollbackOnFailure: request.rollbackOnFailure,
    startedBy: op.startedBy,
    createdAt: op.createdAt,
    // The workflow enforces four-eyes on approvals, whichever way they arrive, with the API's setting.
    allowSelfApproval: settings.allowSelfApproval,
    // Requests recorded before lease waiting skipped held clusters.
    onLeased: request.onLeased ?? 'skip',
    ...(request.deadline ? { deadline: request.deadline } : {}),
  };
}

/** JSON with object keys sorted at every level, so equal requests hash equally whatever the key order. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};
