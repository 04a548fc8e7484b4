// Whether one health answer passes: healthy, at the expected version, every rule holding; and the reason when not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holds, type ComparisonOp } from '../../domain/comparison';
import { deadlineExceeded, retryDelayMs } from '../../domain/deadlines';
import {
  brokenRules,
  judgeHealth,
  ShadowTally,
  type HealthAnswer,
  type HealthExpectation,
  type HealthRule,
} from '../../domain/health-rules';

const healthy = (over: Partial<HealthAnswer> = {}): HealthAnswer => ({
  healthy: true,
  version: '3.7.1',
  metrics: { underReplicatedPartitions: 0, consumerLag: 50 },
  ...over,
});
const expect = (over: Partial<HealthExpectation> = {}): HealthExpectation => ({ version: null, require: [], ...over });

void describe('judgeHealth', () => {
  const cases: [string, HealthAnswer, HealthExpectation, string | null][] = [
    ['a healthy answer and no rules', healthy(), expect(), null],
    ['the target version reported', healthy(), expect({ version: '3.7.1' }), null],
    [
      'another version reported',
      healthy({ version: '3.6.9' }),
      expect({ version: '3.7.1' }),
      'version_mismatch: reported 3.6.9, expected 3.7.1',
    ],
    [
      'no version reported for an upgrade',
      healthy({ version: null }),
      expect({ version: '3.7.1' }),
      'version_mismatch: reported no version, expected 3.7.1',
    ],
    ['no version reported and none expected', healthy({ version: null }), expect(), null],
    [
      'an unhealthy answer (before the version is looked at)',
      healthy({ healthy: false, version: '1.0.0', message: 'broker 2 down' }),
      expect({ version: '3.7.1' }),
      'unhealthy: broker 2 down',
    ],
    [
      'an unhealthy answer without a message',
      healthy({ healthy: false }),
      expect(),
      'unhealthy: the cluster reports unhealthy',
    ],
    [
      'a rule that holds',
      healthy(),
      expect({ require: [{ metric: 'underReplicatedPartitions', op: '<=', value: 0 }] }),
      null,
    ],
    [
      'a rule that does not hold',
      healthy(),
      expect({ require: [{ metric: 'consumerLag', op: '<', value: 10 }] }),
      'health_rule_failed: consumerLag < 10 (was 50)',
    ],
    [
      'a rule on a metric the answer lacks',
      healthy(),
      expect({ require: [{ metric: 'isr', op: '>=', value: 3 }] }),
      'metric_missing: isr',
    ],
    [
      'an answer without metrics',
      healthy({ metrics: undefined }),
      expect({ require: [{ metric: 'isr', op: '>=', value: 3 }] }),
      'metric_missing: isr',
    ],
    [
      'two rules, the second failing (the first failing one is named)',
      healthy(),
      expect({
        require: [
          { metric: 'underReplicatedPartitions', op: '==', value: 0 },
          { metric: 'consumerLag', op: '<=', value: 49 },
        ],
      }),
      'health_rule_failed: consumerLag <= 49 (was 50)',
    ],
  ];
  for (const [what, answer, expectation, reason] of cases) {
    void it(`when ${what}, then ${reason ?? 'the check passes'}`, () => {
      const verdict = judgeHealth(answer, expectation);
      assert.deepEqual(verdict, reason === null ? { passed: true } : { passed: false, reason });
    });
  }
});

void describe('holds', () => {
  const cases: [number, ComparisonOp, number, boolean][] = [
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [2, '==', 2, true],
    [2.5, '==', 2, false],
    [2, '>=', 2, true],
    [3, '>', 2, true],
    [2, '>', 2, false],
    [NaN, '<', 1, false],
    [NaN, '>=', 1, false],
  ];
  for (const [observed, op, value, expected] of cases) {
    void it(`when ${observed} ${op} ${value}, then ${expected}`, () =>
      assert.equal(holds(observed, op, value), expected));
  }
});

void describe('deadlines', () => {
  void it('when attempts fail in a row, then the wait doubles from 1 s up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  void it('when a step runs out of time, then its error starts deadline_exceeded: and quotes the last error', () => {
    assert.equal(
      deadlineExceeded('apply', 60, 4, 'control plane answered 503'),
      'deadline_exceeded: apply did not succeed within 60s (4 attempts); last error: control plane answered 503',
    );
    assert.match(
      deadlineExceeded('rollback', 5, 1, null),
      /^deadline_exceeded: rollback .*\(1 attempt\); last error: none recorded$/,
    );
  });
});

void describe('shadow rules', () => {
  const lag: HealthRule = { metric: 'consumerLag', op: '<=', value: 100 };
  const urp: HealthRule = { metric: 'underReplicatedPartitions', op: '==', value: 0 };
  const missing: HealthRule = { metric: 'diskFree', op: '>', value: 10 };

  void it('when a rule breaks or its metric is absent, then it is listed as broken, in declared order', () => {
    assert.deepEqual(
      brokenRules(healthy({ metrics: { consumerLag: 500, underReplicatedPartitions: 0 } }), [urp, lag]),
      ['consumerLag <= 100'],
    );
    assert.deepEqual(brokenRules(healthy(), [missing, lag]), ['diskFree > 10']);
    assert.deepEqual(brokenRules(healthy(), []), []);
  });

  void it('when a rule broke only before the deciding checks, then it would not have failed the cluster', () => {
    const tally = new ShadowTally([lag, urp], 2);
    tally.check(healthy({ metrics: { consumerLag: 900, underReplicatedPartitions: 0 } }));
    tally.check(healthy());
    tally.check(healthy());
    assert.deepEqual(tally.wouldFail(), []);
  });

  void it('when a rule broke on any of the last stableChecks checks, then it would have failed the cluster', () => {
    const tally = new ShadowTally([lag, urp], 3);
    tally.check(healthy());
    tally.check(healthy({ metrics: { consumerLag: 50, underReplicatedPartitions: 2 } }));
    tally.check(healthy());
    assert.deepEqual(tally.wouldFail(), ['underReplicatedPartitions == 0']);
  });

  void it('when a check got no answer, then every rule counts as broken for it', () => {
    const tally = new ShadowTally([lag], 1);
    tally.check(null);
    assert.deepEqual(tally.wouldFail(), ['consumerLag <= 100']);
  });

  void it('when there are no shadow rules, then nothing is tallied and nothing would fail', () => {
    const tally = new ShadowTally([], 3);
    tally.check(null);
    assert.equal(tally.active, false);
    assert.deepEqual(tally.wouldFail(), []);
  });
});
