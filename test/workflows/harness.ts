// Workflow tests with stub activities: the real workflow bundle on a real Temporal dev server
// (TEMPORAL_ADDRESS), a worker of its own per test, no database and no API.
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type CompiledWorkerOptions,
  type LogLevel,
  type WorkerOptions,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { OPERATION_WORKFLOW_TYPE } from '../../domain/ids';
import type { OperationInput, OperationState, WaveSummary } from '../../domain/workflow-contracts';
import type { fleetOperationWorkflow } from '../../workflows';
import { statusQuery } from '../../workflows/messages';
import { workflowBundle } from './bundle';
import { StubActivities, type StubOptions } from './stubs';

export const NAMESPACE = 'default';

/**
 * The tests of one describe run side by side (each has its own worker, task queue, workflow id and
 * stubs): they mostly wait on Temporal round trips, so this divides a file's time.
 */
export const SIDE_BY_SIDE = { concurrency: Number(process.env.WORKFLOW_TEST_CONCURRENCY ?? 4) };

/** Monitor settings that never wait: the stubs answer at once anyway. */
export const FAST_MONITOR = { timeoutSeconds: 5, intervalSeconds: 0.1, stableChecks: 1 };

export interface WaveSpec extends Partial<Omit<WaveSummary, 'number' | 'size'>> {
  clusters: string[];
}

export interface OperationSpec extends Partial<Omit<OperationInput, 'operationId' | 'waves' | 'carried'>> {
  waves: WaveSpec[];
  stubs?: StubOptions;
}

export type OperationHandle = WorkflowHandle<typeof fleetOperationWorkflow>;

export interface RunningOperation {
  id: string;
  input: OperationInput;
  handle: OperationHandle;
  stubs: StubActivities;
  client: Client;
  status(): Promise<OperationState>;
  /** Polls the status query until `predicate` holds; fails with the last status after `timeoutMs`. */
  waitForStatus(predicate: (s: OperationState) => boolean, what: string, timeoutMs?: number): Promise<OperationState>;
  /** The workflow's result; fails with the last status when it has not finished within `timeoutMs`. */
  result(timeoutMs?: number): Promise<OperationState>;
  /**
   * Waits until the operation has delivered the wave signal `signal` (e.g. wavePauseSignal) to its wave
   * child `count` times: from then on the wave acts on it before on any later activity result.
   */
  waitForRelay(signal: { name: string }, count?: number): Promise<void>;
}

export function uid(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** `count` cluster ids sharing a prefix: `a-00`, `a-01`, … */
export function clusters(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
}

/** Polls a condition (the stubs' record, a query) until it holds; a probe that throws has not held yet. */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail?.slice(0, 2000)})`);
    }
    await sleep(20);
  }
}

export function operationInput(id: string, spec: OperationSpec): OperationInput {
  const { waves, stubs: _stubs, ...rest } = spec;
  return {
    operationId: id,
    name: id,
    action: { type: 'upgrade', targetVersion: '2.0.0' },
    monitor: FAST_MONITOR,
    maxFailuresTotal: null,
    onFailure: 'pause',
    rollbackOnFailure: false,
    startedBy: 'alice',
    createdAt: new Date().toISOString(),
    ...rest,
    waves: waves.map(({ clusters: ids, ...wave }, i) => ({
      number: i + 1,
      name: `wave-${i + 1}`,
      size: ids.length,
      maxParallel: 1,
      maxFailures: 0,
      bakeSeconds: 0,
      approval: 'none',
      ...wave,
    })),
  };
}

/** A test waiting on an operation that never ends (paused, say) fails instead of hanging the run. */
async function resultWithin(
  handle: OperationHandle,
  status: () => Promise<OperationState>,
  timeoutMs: number,
): Promise<OperationState> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const fail = (last: string) =>
        reject(new Error(`the operation did not finish within ${timeoutMs} ms; last status: ${last}`));
      status().then(
        (s) => fail(JSON.stringify(s)),
        (err: unknown) => fail(String(err)),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([handle.result(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

let runtimeInstalled = false;

function logLevel(): LogLevel {
  const level = (process.env.WORKFLOW_TEST_LOG_LEVEL ?? 'ERROR').toUpperCase();
  return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? (level as LogLevel) : 'ERROR';
}

export class WorkflowTestEnv {
  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    private readonly nativeConnection: NativeConnection,
    private readonly bundle: WorkflowBundleOption,
  ) {}

  static async create(): Promise<WorkflowTestEnv> {
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) {
      throw new Error('workflow tests need TEMPORAL_ADDRESS: run them with `npm run test:workflows` or `npm test`');
    }
    if (!runtimeInstalled) {
      runtimeInstalled = true;
      Runtime.install({ logger: new DefaultLogger(logLevel()), shutdownSignals: [] });
    }
    const [connection, nativeConnection, code] = await Promise.all([
      Connection.connect({ address }),
      NativeConnection.connect({ address }),
      workflowBundle(),
    ]);
    return new WorkflowTestEnv(new Client({ connection, namespace: NAMESPACE }), connection, nativeConnection, code);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.connection.close(), this.nativeConnection.close()]);
  }

  /**
   * Starts the operation on a worker of its own with the stubs, runs `body`, then terminates the
   * operation if it still runs and stops the worker.
   */
  async run(spec: OperationSpec, body: (op: RunningOperation) => Promise<void>): Promise<void> {
    const id = uid('op');
    const taskQueue = uid('tq');
    const stubs = new StubActivities(
      spec.waves.map((w) => w.clusters),
      spec.stubs,
    );
    const input = operationInput(id, spec);
    // Debug mode runs the same sandbox in this thread instead of a worker thread that loads the bundle
    // again, so a worker starts in milliseconds rather than a second; the deadlock timeout it would lift
    // is set back (an option the SDK reads but types only on its compiled options).
    const options: WorkerOptions & Pick<CompiledWorkerOptions, 'isolateExecutionTimeout'> = {
      connection: this.nativeConnection,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: this.bundle,
      activities: stubs.build(),
      debugMode: true,
      isolateExecutionTimeout: '5s',
    };
    const worker = await Worker.create(options);
    await worker.runUntil(async () => {
      const handle = await this.client.workflow.start<typeof fleetOperationWorkflow>(OPERATION_WORKFLOW_TYPE, {
        workflowId: id,
        taskQueue,
        args: [input],
      });
      const status = () => handle.query(statusQuery);
      try {
        await body({
          id,
          input,
          handle,
          stubs,
          client: this.client,
          status,
          result: (timeoutMs = 45_000) => resultWithin(handle, status, timeoutMs),
          waitForStatus: (predicate, what, timeoutMs) =>
            eventually(
              async () => {
                const last = await status();
                return predicate(last) ? last : Promise.reject(new Error(JSON.stringify(last)));
              },
              what,
              timeoutMs,
            ),
          waitForRelay: async (signal, count = 1) => {
            await eventually(
              async () => (await this.relayed(id, signal.name)) >= count,
              `${count} delivered ${signal.name} signal(s)`,
            );
          },
        });
      } finally {
        stubs.openAll();
        await handle.terminate('test finished').catch(() => undefined);
      }
    });
  }

  /** How many `signalName` signals the operation's current run has delivered to another workflow. */
  private async relayed(workflowId: string, signalName: string): Promise<number> {
    const history = await this.client.workflow.getHandle(workflowId).fetchHistory();
    const initiated = new Set<string>();
    let delivered = 0;
    for (const event of history.events ?? []) {
      if (event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === signalName) {
        initiated.add(String(event.eventId));
      }
      const signaled = event.externalWorkflowExecutionSignaledEventAttributes;
      if (signaled && initiated.has(String(signaled.initiatedEventId))) delivered++;
    }
    return delivered;
  }

  /** Every run of a workflow, following continue-as-new from its first run; answers run ids in order. */
  async runsOf(workflowId: string): Promise<string[]> {
    const described = await this.client.workflow.getHandle(workflowId).describe();
    const chain = [described.raw.workflowExecutionInfo?.firstRunId || described.runId];
    for (;;) {
      const history = await this.client.workflow.getHandle(workflowId, chain.at(-1)).fetchHistory();
      const last = history.events?.at(-1);
      const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) return chain;
      chain.push(next);
    }
  }
}

/** One environment per test file, opened before its first test and closed after its last. */
export function workflowTestEnv(): Pick<WorkflowTestEnv, 'run' | 'runsOf'> {
  let env: WorkflowTestEnv | undefined;
  before(async () => {
    env = await WorkflowTestEnv.create();
  });
  after(async () => {
    await env?.close();
  });
  const opened = (): WorkflowTestEnv => {
    if (!env) throw new Error('the workflow test environment is not open yet (use it inside a test)');
    return env;
  };
  return {
    run: (spec, body) => opened().run(spec, body),
    runsOf: (workflowId) => opened().runsOf(workflowId),
  };
}
