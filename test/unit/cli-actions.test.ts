// What the CLI prints after operator actions (each answer shape), the failed-clusters table, and delete's confirmation.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { confirmOrStop } from '../../cli/confirm';
import { CliError, EXIT, InputError } from '../../cli/errors';
import { actionText, isFullStatus } from '../../cli/render-actions';
import { byWaveThenId, failedRunsText } from '../../cli/render-runs';
import type { OperationRunView, OperationStatus } from '../../cli/types';
import { emptyCounts } from '../../domain/operation-status';

const words = { id: 'op-1', done: 'paused', requested: 'pause requested for op-1' };

const fullStatus: OperationStatus = {
  id: 'op-1',
  name: 'op',
  state: 'paused',
  action: { type: 'restart' },
  startedBy: 'olga',
  createdAt: '2026-01-02T03:04:05Z',
  currentWave: 1,
  pendingApproval: null,
  pauseReason: 'operator',
  error: null,
  note: null,
  counts: { ...emptyCounts(), total: 1, pending: 1 },
  inFlight: [],
  waves: [
    {
      number: 1,
      name: 'remainder',
      size: 1,
      state: 'running',
      counts: { ...emptyCounts(), total: 1, pending: 1 },
      approval: 'none',
      approvedBy: null,
    },
  ],
};

describe('actionText', () => {
  test('when the API answers 200 with the status, then one line names the new state and the status follows', () => {
    const text = actionText(words, fullStatus);
    const [first, blank, ...rest] = text.split('\n');
    assert.equal(first, 'paused: op-1 is paused');
    assert.equal(blank, '');
    assert.match(rest.join('\n'), /^operation\s+op-1 \(op\)$/m);
    assert.match(rest.join('\n'), /paused \(operator\): continue with fleetwave resume op-1/);
  });

  test('when the 200 status carries the action report in place of the operation action, then the status is drawn without it', () => {
    const answer = {
      ...fullStatus,
      action: { name: 'pause', actionId: 'a-1', outcome: 'applied', message: 'paused by olga' },
    };
    const text = actionText(words, answer);
    assert.match(text, /^paused: op-1 is paused\n\noperation\s+op-1 \(op\)\nstate\s+paused, wave 1 of 1\nstarted /);
    assert.doesNotMatch(text, /^action\s/m);
  });

  test('when a 200 body carries only a state, then only the line is printed', () => {
    assert.equal(actionText(words, { id: 'op-1', state: 'paused' }), 'paused: op-1 is paused');
    assert.equal(actionText(words, { state: 'running' }), 'paused: op-1 is running');
  });

  test('when the action was delivered but not yet applied (202), then the API message is printed', () => {
    const message = "pause delivered to 'op-1'; no worker answered in 5s: it applies or is refused when a worker runs";
    assert.equal(
      actionText(words, { id: 'op-1', name: 'pause', outcome: 'delivered', message }),
      `${message}\nwhat the workflow decided shows in: fleetwave operations events op-1`,
    );
  });

  test('when a delivered answer has no message, then it still says it was delivered', () => {
    assert.match(actionText(words, { id: 'op-1', action: 'pause', outcome: 'delivered' }), /delivered/);
  });

  test('when an older server answers { id, accepted }, then the action is reported as requested', () => {
    assert.equal(actionText(words, { id: 'op-1', accepted: 'pause' }), 'pause requested for op-1');
    assert.equal(actionText(words, undefined), 'pause requested for op-1');
  });

  test('isFullStatus tells a drawable status from a partial one', () => {
    assert.equal(isFullStatus(fullStatus), true);
    assert.equal(isFullStatus({ id: 'op-1', state: 'paused' }), false);
    assert.equal(isFullStatus(null), false);
  });
});

const run = (r: Partial<OperationRunView> & Pick<OperationRunView, 'clusterId' | 'wave'>): OperationRunView => ({
  operationId: 'op-1',
  state: 'failed',
  fromVersion: '3.6.0',
  toVersion: '3.7.1',
  attempts: 1,
  error: 'apply rejected',
  reason: null,
  startedAt: null,
  finishedAt: null,
  lastError: null,
  adapterAttempts: 0,
  ...r,
});

describe('failedRunsText', () => {
  test('when there are no failed clusters, then it says so, naming the wave when one was asked for', () => {
    assert.equal(failedRunsText('op-1', []), 'no failed or rolled back clusters in op-1');
    assert.equal(failedRunsText('op-1', [], 2), 'no failed or rolled back clusters in wave 2 of op-1');
  });

  test('when runs arrive in any order, then they are listed by wave, then cluster id', () => {
    const sorted = byWaveThenId([
      run({ clusterId: 'b', wave: 2 }),
      run({ clusterId: 'c', wave: 1 }),
      run({ clusterId: 'a', wave: 2 }),
    ]);
    assert.deepEqual(
      sorted.map((r) => `${r.wave}/${r.clusterId}`),
      ['1/c', '2/a', '2/b'],
    );
  });

  test('when no run has an adapter error, then the table has the five columns and the counts', () => {
    const text = failedRunsText('op-1', [
      run({ clusterId: 'b', wave: 1, state: 'rolled_back', attempts: 2, error: 'unhealthy:\n  broker 2 down' }),
      run({ clusterId: 'a', wave: 1 }),
    ]);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^CLUSTER\s+WAVE\s+STATE\s+ATTEMPTS\s+ERROR$/);
    assert.match(lines[1]!, /^a\s+1\s+failed\s+1\s+apply rejected$/);
    assert.match(lines[2]!, /^b\s+1\s+rolled_back\s+2\s+unhealthy: broker 2 down$/, 'an error is one line');
    assert.match(text, /^1 failed, 1 rolled back in op-1$/m);
    assert.match(text, /^retry one: fleetwave operations retry op-1 <cluster>$/m);
  });

  test('when a run has an adapter error its error does not quote, then adapter attempts and last error are columns', () => {
    const text = failedRunsText(
      'op-1',
      [
        run({
          clusterId: 'a',
          wave: 3,
          error: 'deadline_exceeded: 503',
          lastError: 'control plane answered 503',
          adapterAttempts: 4,
        }),
        run({ clusterId: 'b', wave: 3 }),
      ],
      3,
    );
    assert.match(text, /^CLUSTER\s+WAVE\s+STATE\s+ATTEMPTS\s+ADAPTER ATTEMPTS\s+ERROR\s+LAST ADAPTER ERROR$/m);
    assert.match(text, /^a\s+3\s+failed\s+1\s+4\s+deadline_exceeded: 503\s+control plane answered 503$/m);
    assert.match(text, /^b\s+3\s+failed\s+1\s+0\s+apply rejected\s+-$/m);
    assert.match(text, /^2 failed, 0 rolled back in wave 3 of op-1$/m);
  });

  test('when the error already quotes the last adapter error, then only the adapter attempts are added', () => {
    const text = failedRunsText('op-1', [
      run({
        clusterId: 'a',
        wave: 1,
        error: "ClusterApplyRejected: rejected the upgrade of 'a'",
        lastError: "rejected the upgrade of 'a'",
        adapterAttempts: 1,
      }),
    ]);
    assert.match(text, /^CLUSTER\s+WAVE\s+STATE\s+ATTEMPTS\s+ADAPTER ATTEMPTS\s+ERROR$/m);
    assert.match(text, /^a\s+1\s+failed\s+1\s+1\s+ClusterApplyRejected: rejected the upgrade of 'a'$/m);
  });
});

describe('confirmOrStop', () => {
  const terminal = () => Object.assign(new PassThrough(), { isTTY: true });
  const refusal = { what: 'delete cluster c-1', flag: '--yes' };

  test('when standard input is not a terminal, then it refuses as a usage error naming the flag', async () => {
    await assert.rejects(
      confirmOrStop('delete? ', refusal, { input: new PassThrough(), output: new PassThrough() }),
      (err: unknown) =>
        err instanceof InputError && err.exitCode === EXIT.usage && /not a terminal; add --yes/.test(err.message),
    );
  });

  for (const answer of ['y', 'yes', 'YES', ' y ']) {
    test(`when the person answers ${JSON.stringify(answer)}, then it goes ahead`, async () => {
      const input = terminal();
      const output = new PassThrough();
      const asked = confirmOrStop('delete cluster c-1? [y/N] ', refusal, { input, output });
      input.write(`${answer}\n`);
      await asked;
      assert.match(String(output.read()), /delete cluster c-1\? \[y\/N\]/);
    });
  }

  for (const answer of ['', 'n', 'no', 'sure']) {
    test(`when the person answers ${JSON.stringify(answer)}, then it stops with exit 1`, async () => {
      const input = terminal();
      const asked = confirmOrStop('delete? ', refusal, { input, output: new PassThrough() });
      input.write(`${answer}\n`);
      await assert.rejects(
        asked,
        (err: unknown) =>
          err instanceof CliError && err.exitCode === EXIT.declined && /not confirmed/.test(err.message),
      );
    });
  }

  test('when input ends without an answer, then it stops instead of waiting', async () => {
    const input = terminal();
    const asked = confirmOrStop('delete? ', refusal, { input, output: new PassThrough() });
    input.end();
    await assert.rejects(asked, (err: unknown) => err instanceof CliError && err.exitCode === EXIT.declined);
  });
});
