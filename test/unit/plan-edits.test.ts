// The rules of live plan edits without a workflow or a server: how a payload typed by hand is read, which
// reason each refusal gives, which clusters an appended wave takes, and the knobs a wave runs with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendedSelection } from '../../domain/plan-edit-requests';
import { checkAppend, checkEdit, checkMove, knobsOf, readAppend, readEdit, readMove } from '../../domain/plan-edits';
import type { PlannableCluster } from '../../domain/selector';
import type { WaveStateName } from '../../domain/states';
import type { OperationState, WaveSummary } from '../../domain/workflow-contracts';

const summary = (number: number): WaveSummary => ({
  number,
  name: `w${number}`,
  size: 2,
  maxParallel: 1,
  maxFailures: 0,
  bakeSeconds: 0,
  approval: 'none',
});
const WAVES = [1, 2, 3].map(summary);

/** An operation of three waves: wave 1 completed, wave 2 running, wave 3 pending (states as given). */
function operation(states: WaveStateName[] = ['completed', 'running', 'pending'], over: Partial<OperationState> = {}) {
  const state: OperationState = {
    operationId: 'op-1',
    name: 'kafka-3.7.1',
    state: 'running',
    pauseReason: null,
    currentWave: 2,
    pendingApproval: null,
    waves: states.map((s, i) => ({
      number: i + 1,
      name: `w${i + 1}`,
      state: s,
      approvedBy: null,
      approvedAt: null,
      approvalComment: null,
      startedAt: null,
      finishedAt: null,
      runs: s === 'pending' || s === 'awaiting_approval' ? 0 : 1,
    })),
    maxParallelOverride: null,
    pendingRetries: [],
    retryAttempts: {},
    paused: false,
    cancelRequested: false,
    waveIndex: 1,
    skipped: [],
    notStarted: [],
    failuresTotal: 0,
    error: null,
    startedBy: 'alice',
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    ...over,
  };
  return state;
}

const editReason = (payload: unknown, state = operation(), closing = false) =>
  checkEdit(state, WAVES, readEdit(payload), closing)?.reason ?? null;
const moveReason = (payload: unknown, state = operation()) =>
  checkMove(state, WAVES, readMove(payload), false)?.reason ?? null;
const appendReason = (payload: unknown, state = operation()) =>
  checkAppend(state, WAVES, readAppend(payload), false)?.reason ?? null;

describe('editWave rules', () => {
  const cases: [string, unknown, string | null][] = [
    ['the running and later waves', { by: 'b', maxFailures: 2 }, null],
    ['a later wave', { by: 'b', wave: 3, bakeSeconds: 0.5 }, null],
    ['the running wave', { by: 'b', wave: 2, maxParallel: 4 }, null],
    ['nobody named', { maxFailures: 2 }, 'by_required'],
    ['no knob', { by: 'b', wave: 2 }, 'nothing_to_change'],
    ['maxParallel 0', { by: 'b', maxParallel: 0 }, 'invalid_value'],
    ['maxParallel 1001', { by: 'b', maxParallel: 1001 }, 'invalid_value'],
    ['maxFailures 1.5', { by: 'b', maxFailures: 1.5 }, 'invalid_value'],
    ['a bake of text', { by: 'b', bakeSeconds: 'soon' }, 'invalid_value'],
    ['a negative bake', { by: 'b', bakeSeconds: -1 }, 'invalid_value'],
    ['no such wave', { by: 'b', wave: 4, maxFailures: 1 }, 'unknown_wave'],
    ['a finished wave', { by: 'b', wave: 1, maxFailures: 1 }, 'wave_finished'],
    ['a payload that is not an object', 'maxFailures=2', 'by_required'],
  ];
  for (const [what, payload, reason] of cases) {
    it(`when an edit names ${what}, then it is ${reason ?? 'accepted'}`, () => {
      assert.equal(editReason(payload), reason);
    });
  }

  it('when the operation has finished or is closing, then every edit is refused operation_finished', () => {
    assert.equal(
      editReason({ by: 'b', maxFailures: 1 }, operation(undefined, { state: 'completed' })),
      'operation_finished',
    );
    assert.equal(editReason({ by: 'b', maxFailures: 1 }, operation(), true), 'operation_finished');
  });
});

describe('moveCluster rules', () => {
  const awaiting = operation(['completed', 'completed', 'awaiting_approval'], { currentWave: 3 });
  const cases: [string, unknown, OperationState, string | null][] = [
    ['a later wave that has not started', { by: 'b', clusterId: 'c', toWave: 3, fromWave: 2 }, operation(), null],
    ['a wave waiting for its approval', { by: 'b', clusterId: 'c', toWave: 3 }, awaiting, null],
    ['the running wave', { by: 'b', clusterId: 'c', toWave: 2 }, operation(), 'wave_started'],
    ['a finished wave', { by: 'b', clusterId: 'c', toWave: 1 }, operation(), 'wave_started'],
    ['no such wave', { by: 'b', clusterId: 'c', toWave: 7 }, operation(), 'unknown_wave'],
    ['its own wave', { by: 'b', clusterId: 'c', toWave: 3, fromWave: 3 }, operation(), 'not_later_wave'],
    ['a cluster of a finished wave', { by: 'b', clusterId: 'c', toWave: 3, fromWave: 1 }, operation(), 'not_pending'],
    ['a cluster skipped at plan', { by: 'b', clusterId: 'c', toWave: 3, fromWave: 0 }, operation(), 'not_pending'],
    ['no cluster', { by: 'b', toWave: 3 }, operation(), 'cluster_required'],
    [
      'an operator-skipped cluster',
      { by: 'b', clusterId: 'c', toWave: 3 },
      operation(undefined, { skipped: [{ clusterId: 'c', by: 'x' }] }),
      'not_pending',
    ],
    [
      'a cancelled operation',
      { by: 'b', clusterId: 'c', toWave: 3 },
      operation(undefined, { cancelRequested: true }),
      'cancel_requested',
    ],
  ];
  for (const [what, payload, state, reason] of cases) {
    it(`when a move goes to ${what}, then it is ${reason ?? 'accepted'}`, () => {
      assert.equal(moveReason(payload, state), reason);
    });
  }
});

describe('appendWave rules', () => {
  const cases: [string, unknown, string | null][] = [
    ['staged clusters', { by: 'b', name: 'late', staged: 'e-1', size: 2 }, null],
    ['a selector', { by: 'b', name: 'late', selector: { kind: 'kafka' }, approval: 'manual' }, null],
    ['no clusters', { by: 'b', name: 'late' }, 'selection_required'],
    ['an empty staging', { by: 'b', name: 'late', staged: 'e-1', size: 0 }, 'empty_wave'],
    ['a taken name', { by: 'b', name: 'w2', selector: {} }, 'wave_name_taken'],
    ['a bad name', { by: 'b', name: 'Late Wave', selector: {} }, 'invalid_value'],
    ['a bad approval', { by: 'b', name: 'late', selector: {}, approval: 'sometimes' }, 'invalid_value'],
  ];
  for (const [what, payload, reason] of cases) {
    it(`when an append names ${what}, then it is ${reason ?? 'accepted'}`, () => {
      assert.equal(appendReason(payload), reason);
    });
  }

  it('when the operation has 100 waves, then an append is refused too_many_waves', () => {
    const many = Array.from({ length: 100 }, (_, i) => summary(i + 1));
    const refusal = checkAppend(operation(), many, readAppend({ by: 'b', name: 'late', selector: {} }), false);
    assert.equal(refusal?.reason, 'too_many_waves');
  });
});

describe('which clusters an appended wave takes', () => {
  const cluster = (id: string, over: Partial<PlannableCluster> = {}): PlannableCluster => ({
    id,
    kind: 'kafka',
    cloud: 'aws',
    region: 'r',
    environment: 'customer',
    tier: null,
    version: '3.6.0',
    labels: {},
    ...over,
  });
  const fleet = [
    cluster('a'),
    cluster('b', { cloud: 'gcp' }),
    cluster('c', { version: '3.7.1' }),
    cluster('d', { kind: 'connect' }),
    cluster('e'),
  ];
  const upgrade = { selector: { kind: 'kafka' }, action: { type: 'upgrade' as const, targetVersion: '3.7.1' } };

  it('when the wave selects what the operation does not hold, then it takes those below the target, sorted', () => {
    assert.deepEqual(appendedSelection(upgrade, fleet, new Set(['a']), {}), { clusterIds: ['b', 'e'], atTarget: 1 });
  });

  it("when the wave's selector narrows it, then both selectors must match", () => {
    assert.deepEqual(appendedSelection(upgrade, fleet, new Set(), { cloud: 'gcp' }).clusterIds, ['b']);
    assert.deepEqual(appendedSelection(upgrade, fleet, new Set(), { kind: 'connect' }).clusterIds, []);
  });

  it('when the action is not an upgrade, then a cluster at any version is taken', () => {
    const restart = { selector: {}, action: { type: 'restart' as const } };
    assert.deepEqual(appendedSelection(restart, fleet, new Set(['a', 'b']), {}).clusterIds, ['c', 'd', 'e']);
  });
});

describe('the knobs a wave runs with', () => {
  it('when maxParallel was set for the running and later waves, then that wins unless the wave has its own', () => {
    const state = operation(undefined, { maxParallelOverride: 5, maxParallelByWave: { 3: 2 } });
    assert.deepEqual(knobsOf(state, { ...summary(2), maxFailures: 3 }), {
      maxParallel: 5,
      maxFailures: 3,
      bakeSeconds: 0,
    });
    assert.equal(knobsOf(state, summary(3)).maxParallel, 2);
  });
});
