// The rules every operator action obeys, whichever way it arrives: how a payload typed by hand is read,
// and which reason each refusal gives, without a workflow or a server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appliedMessage, check, readAction, type ReadAction } from '../../domain/operator-actions';
import type { OperationState, OperatorActionName } from '../../domain/workflow-contracts';

/** An operation started by alice, running its first wave, neither paused nor cancelled. */
function operation(over: Partial<OperationState> = {}): OperationState {
  return {
    operationId: 'op-1',
    name: 'kafka-3.7.1',
    state: 'running',
    pauseReason: null,
    currentWave: 1,
    pendingApproval: null,
    waves: [],
    maxParallelOverride: null,
    pendingRetries: [],
    retryAttempts: {},
    paused: false,
    cancelRequested: false,
    waveIndex: 0,
    skipped: [],
    notStarted: [],
    failuresTotal: 0,
    error: null,
    startedBy: 'alice',
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    ...over,
  };
}

const paused = (over: Partial<OperationState> = {}) =>
  operation({ state: 'paused', paused: true, pauseReason: 'operator', ...over });
const awaiting = (wave: number) => operation({ state: 'awaiting_approval', pendingApproval: { wave } });

const read = (action: OperatorActionName, payload: unknown): ReadAction => readAction(action, payload);
const reasonOf = (state: OperationState, action: OperatorActionName, payload: unknown, allowSelf = false) =>
  check(state, read(action, payload), allowSelf)?.reason ?? null;

void describe('readAction', () => {
  it('when the payload is not an object, then nothing is read from it and the action names nobody', () => {
    for (const payload of [null, undefined, 'carol', 42, true, ['carol'], () => 'carol']) {
      const got = read('pause', payload);
      assert.deepEqual(got, { action: 'pause', by: '', via: 'temporal', role: 'temporal' }, typeof payload);
    }
  });

  it('when by is not a non-empty string, then it is left out (a number, an object, blanks)', () => {
    for (const by of [7, 0, { name: 'carol' }, ['carol'], '', '   ', null, true]) {
      assert.equal(read('resume', { by }).by, '', JSON.stringify(by));
    }
  });

  it('when text fields carry blanks around them, then they are trimmed', () => {
    const got = read('approve', { by: '  carol ', wave: 2, comment: '  canary healthy\n' });
    assert.equal(got.by, 'carol');
    assert.equal(got.comment, 'canary healthy');
  });

  it('when fields are overlong, then each is cut to its limit instead of refused', () => {
    const got = read('skip', {
      by: 'b'.repeat(500),
      comment: 'c'.repeat(5000),
      clusterId: 'k'.repeat(300),
      actionId: 'a'.repeat(150),
      requestId: 'r'.repeat(250),
    });
    assert.equal(got.by.length, 200);
    assert.equal(got.comment?.length, 2000);
    assert.equal(got.clusterId?.length, 200);
    assert.equal(got.actionId?.length, 100);
    assert.equal(got.requestId?.length, 200);
  });

  it('when wave is not an integer, then it is left out (a string, a fraction, NaN)', () => {
    for (const wave of ['2', 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, { n: 2 }]) {
      assert.equal('wave' in read('approve', { by: 'carol', wave }), false, JSON.stringify(wave));
    }
    assert.equal(read('approve', { by: 'carol', wave: 2 }).wave, 2);
  });

  it('when via is anything but api, then the action came through Temporal and its role is temporal', () => {
    for (const via of [undefined, 'temporal', 'API', 'web', 1]) {
      const got = read('pause', { by: 'carol', via, role: 'admin' });
      assert.equal(got.via, 'temporal');
      assert.equal(got.role, 'temporal', 'a direct signal cannot claim an API role');
    }
  });

  it('when it came through the API, then it keeps the API role, or unknown without one', () => {
    assert.equal(read('pause', { by: 'olga', via: 'api', role: 'operator' }).role, 'operator');
    assert.equal(read('pause', { by: 'olga', via: 'api' }).role, 'unknown');
    assert.equal(read('pause', { by: 'olga', via: 'api', role: 'x'.repeat(80) }).role.length, 50);
  });

  it('when optional fields are missing or empty, then they are absent, not empty strings', () => {
    const got = read('retry', { by: 'carol', clusterId: '', comment: ' ', actionId: '', requestId: 3 });
    assert.deepEqual(got, { action: 'retry', by: 'carol', via: 'temporal', role: 'temporal' });
  });

  it('when the payload carries fields the action does not take, then they are dropped', () => {
    const got = read('pause', { by: 'carol', state: 'completed', paused: false, __proto__: { by: 'eve' } });
    assert.deepEqual(got, { action: 'pause', by: 'carol', via: 'temporal', role: 'temporal' });
  });
});

void describe('check', () => {
  const cases: [string, OperationState, OperatorActionName, unknown, string | null][] = [
    ['an action outside the list', operation(), 'reboot' as OperatorActionName, { by: 'carol' }, 'unknown_action'],
    ['a pause naming nobody', operation(), 'pause', {}, 'by_required'],
    ['a pause whose by is a number', operation(), 'pause', { by: 7 }, 'by_required'],
    [
      'a pause of a completed operation',
      operation({ state: 'completed' }),
      'pause',
      { by: 'carol' },
      'operation_finished',
    ],
    ['a cancel of a failed operation', operation({ state: 'failed' }), 'cancel', { by: 'carol' }, 'operation_finished'],
    [
      'a retry of a cancelled operation',
      operation({ state: 'cancelled' }),
      'retry',
      { by: 'carol', clusterId: 'c1' },
      'operation_finished',
    ],
    ['a pause of a running operation', operation(), 'pause', { by: 'carol' }, null],
    ['a pause of a paused operation', paused(), 'pause', { by: 'carol' }, 'already_paused'],
    [
      'a pause while a cancel is under way',
      operation({ cancelRequested: true }),
      'pause',
      { by: 'carol' },
      'cancel_requested',
    ],
    ['a resume of a paused operation', paused(), 'resume', { by: 'carol' }, null],
    ['a resume of a running operation', operation(), 'resume', { by: 'carol' }, 'not_paused'],
    [
      'a resume while a cancel is under way',
      paused({ cancelRequested: true }),
      'resume',
      { by: 'carol' },
      'cancel_requested',
    ],
    [
      'a resume while an alarm fires',
      paused({ pauseReason: 'alarm:slo', alarmsFiring: [{ name: 'slo', message: 'p99 over SLO' }] }),
      'resume',
      { by: 'carol' },
      'alarm_firing',
    ],
    [
      'a resume once the alarm stopped firing',
      paused({ pauseReason: 'alarm:slo', alarmsFiring: [] }),
      'resume',
      { by: 'carol' },
      null,
    ],
    ['a cancel of a running operation', operation(), 'cancel', { by: 'carol' }, null],
    ['a cancel of a paused operation', paused(), 'cancel', { by: 'carol' }, null],
    ['a second cancel', operation({ cancelRequested: true }), 'cancel', { by: 'carol' }, 'cancel_requested'],
    ['an approval naming no wave', awaiting(1), 'approve', { by: 'carol' }, 'wave_required'],
    ['an approval whose wave is a string', awaiting(1), 'approve', { by: 'carol', wave: '1' }, 'wave_required'],
    ['an approval by the starter', awaiting(1), 'approve', { by: 'alice', wave: 1 }, 'self_approval_forbidden'],
    ['an approval of the waiting wave by another identity', awaiting(1), 'approve', { by: 'carol', wave: 1 }, null],
    [
      'an approval of a wave that does not wait',
      awaiting(1),
      'approve',
      { by: 'carol', wave: 2 },
      'not_awaiting_approval',
    ],
    ['an approval while no wave waits', operation(), 'approve', { by: 'carol', wave: 1 }, 'not_awaiting_approval'],
    ['a retry naming no cluster', operation(), 'retry', { by: 'carol' }, 'cluster_required'],
    ['a skip naming no cluster', operation(), 'skip', { by: 'carol', clusterId: '' }, 'cluster_required'],
    [
      'a retry while a cancel is under way',
      operation({ cancelRequested: true }),
      'retry',
      { by: 'carol', clusterId: 'c1' },
      'cancel_requested',
    ],
    // The run's own state decides the rest of retry and skip (db/operator-actions.ts): allowed here.
    ['a retry of a running operation', operation(), 'retry', { by: 'carol', clusterId: 'c1' }, null],
    [
      'a skip while a cancel is under way',
      operation({ cancelRequested: true }),
      'skip',
      { by: 'carol', clusterId: 'c1' },
      null,
    ],
    ['a skip of a paused operation', paused(), 'skip', { by: 'carol', clusterId: 'c1' }, null],
  ];
  for (const [name, state, action, payload, reason] of cases) {
    it(`when ${name}, then ${reason ?? 'it applies'}`, () => {
      assert.equal(reasonOf(state, action, payload), reason);
    });
  }

  it('when self-approval is allowed, then the starter may approve, but still only the waiting wave', () => {
    assert.equal(reasonOf(awaiting(1), 'approve', { by: 'alice', wave: 1 }, true), null);
    assert.equal(reasonOf(awaiting(1), 'approve', { by: 'alice', wave: 2 }, true), 'not_awaiting_approval');
  });

  it('when several rules fail, then who asks is checked before the state (by_required over operation_finished)', () => {
    assert.equal(reasonOf(operation({ state: 'completed' }), 'pause', null), 'by_required');
    assert.equal(reasonOf(operation({ state: 'completed' }), 'approve', { by: 'alice' }), 'operation_finished');
    assert.equal(reasonOf(paused({ cancelRequested: true }), 'pause', { by: 'carol' }), 'cancel_requested');
  });

  it('when it refuses, then the message names the operation and says what to send', () => {
    const nobody = check(awaiting(2), read('approve', {}), false)!;
    assert.match(nobody.message, /"by": "<identity>", "wave": <number>/);
    const own = check(awaiting(2), read('approve', { by: 'alice', wave: 2 }), false)!;
    assert.match(own.message, /'alice' started operation 'op-1'/);
    const wrong = check(awaiting(2), read('approve', { by: 'carol', wave: 3 }), false)!;
    assert.match(wrong.message, /wave 3 of 'op-1' is not awaiting approval \(wave 2 is;/);
    const firing = check(
      paused({ alarmsFiring: [{ name: 'slo', message: 'burning' }] }),
      read('resume', { by: 'carol' }),
      false,
    )!;
    assert.match(firing.message, /'slo' \(burning\)/);
  });
});

void describe('appliedMessage', () => {
  it('when an action applies, then its message says what it did', () => {
    assert.equal(appliedMessage(read('approve', { by: 'carol', wave: 2 })), 'wave 2 approved');
    assert.equal(appliedMessage(read('skip', { by: 'carol', clusterId: 'c1' })), "cluster 'c1' skipped");
    assert.equal(appliedMessage(read('retry', { by: 'carol', clusterId: 'c1' })), "cluster 'c1' queued to run again");
    assert.match(appliedMessage(read('pause', { by: 'carol' })), /^paused/);
  });
});
