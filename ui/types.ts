// The shapes the dashboard reads from the REST API (docs/rest-api.md), as far as it uses them.
import type { Role } from '../domain/auth';
import type { OperationStateName, RunState, WaveStateName } from '../domain/states';

export interface Me {
  identity: string;
  role: Role;
}

export interface UiConfig {
  temporalUiUrl: string | null;
  namespace: string;
}

export interface Cluster {
  id: string;
  name: string;
  kind: string;
  cloud: string;
  region: string;
  environment: string;
  tier: string | null;
  version: string;
  labels: Record<string, string>;
}

export interface Run {
  operationId: string;
  clusterId: string;
  wave: number;
  state: RunState;
  fromVersion: string | null;
  toVersion: string | null;
  attempts: number;
  error: string | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string | null;
  lastError: string | null;
  adapterAttempts: number | null;
  windowOpensAt: string | null;
  heldBy: string | null;
  guard?: string | null;
}

export interface Counts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  rolled_back: number;
  skipped: number;
  waiting: number;
}

export interface WaveStatus {
  number: number;
  name: string;
  size: number;
  maxParallel: number;
  maxFailures: number;
  bakeSeconds: number;
  approval: 'none' | 'manual';
  state: WaveStateName;
  counts: Counts;
  approvedBy: string | null;
  approvedAt: string | null;
  approvalComment: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Each shadow rule (monitor.shadowRequire), never enforced; absent from older API answers. */
  shadow?: { rule: string; wouldFail: number; evaluated: number }[];
}

export interface Alarm {
  name: string;
  firing: boolean;
  message: string;
  checkedAt: string | null;
}

export interface OperationStatus {
  id: string;
  name: string;
  state: OperationStateName | 'unknown';
  action: { type: string; targetVersion?: string };
  startedBy: string;
  createdAt: string;
  updatedAt: string;
  currentWave: number | null;
  pendingApproval: { wave: number } | null;
  pauseReason: string | null;
  error: string | null;
  maxParallelOverride: number | null;
  counts: Counts;
  waves: WaveStatus[];
  inFlight: { clusterId: string; wave: number; state: RunState; startedAt: string | null }[];
  alarms: Alarm[];
  source: string;
  workflowStatus: string | null;
  note: string | null;
  actionResult?: { name: string; outcome: string; message: string };
  /** When the operation should end (docs/concepts.md, Forecasts); null once it has ended. */
  forecast?: { expectedEndAt: string; unknownWaits: string[] } | null;
}

export interface OperationSummary {
  id: string;
  name: string;
  state: string;
  action: string;
  targetVersion: string | null;
  workflowStatus: string | null;
  startedAt: string | null;
  closedAt: string | null;
}

export interface PlannedWave {
  number: number;
  name: string;
  clusterIds: string[];
  maxParallel: number;
  maxFailures: number;
  bakeSeconds: number;
  approval: 'none' | 'manual';
}

export interface Plan {
  total: number;
  waves: PlannedWave[];
  skipped: { clusterId: string; reason: string }[];
  emptyWaves: string[];
}

export interface PageContext {
  me: Me;
  config: UiConfig;
  root: HTMLElement;
  /** The path's parameters (the operation id). */
  params: string[];
  query: URLSearchParams;
  navigate: (url: string) => void;
}

/** A page draws itself into `root` and returns what stops its timers and streams when the user leaves. */
export type Page = (ctx: PageContext) => (() => void) | void;
