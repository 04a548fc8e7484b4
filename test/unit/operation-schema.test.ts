// The POST /v1/operations body: what it accepts, what it refuses, and the defaults it fills in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OperationRequestSchema } from '../../domain/operation';
import { PatchOperationBodySchema } from '../../domain/operation-requests';

const base = {
  name: 'kafka-3.7.1',
  action: { type: 'upgrade', targetVersion: '3.7.1' },
  selector: { kind: 'kafka', versionBelow: '3.7.1' },
};
const withBody = (patch: Record<string, unknown>) => ({ ...base, ...patch });

void describe('OperationRequestSchema accepts', () => {
  const accepted: [string, unknown][] = [
    ['the minimal body (everything in remainder)', base],
    [
      'the documented example (docs/concepts.md)',
      withBody({
        requestId: 'optional idempotency key',
        waves: [
          { name: 'internal', selector: { environment: 'internal' }, maxParallel: 5 },
          {
            name: 'gcp-canary',
            selector: { environment: 'customer', cloud: 'gcp' },
            percent: 10,
            approval: 'manual',
            bakeSeconds: 600,
          },
          { name: 'rest', maxParallel: 50, maxFailures: 3 },
        ],
        defaults: { maxParallel: 1, maxFailures: 0, bakeSeconds: 0, approval: 'none' },
        monitor: { timeoutSeconds: 600, intervalSeconds: 10, stableChecks: 3 },
        maxFailuresTotal: 10,
        onFailure: 'pause',
        rollbackOnFailure: true,
      }),
    ],
    ['a restart', withBody({ action: { type: 'restart' } })],
    [
      'a config change',
      withBody({ action: { type: 'config', settings: { 'log.retention.ms': 1000, compact: true, mode: 'x' } } }),
    ],
    [
      'a by-cloud policy',
      withBody({ policy: { type: 'by-cloud', order: ['azure', 'aws', 'gcp'], canaryPercent: 10 } }),
    ],
    [
      'fractional seconds',
      withBody({ waves: [{ name: 'w', bakeSeconds: 0.2 }], monitor: { timeoutSeconds: 1.5, intervalSeconds: 0.05 } }),
    ],
    [
      'maxParallel at its bounds',
      withBody({
        waves: [
          { name: 'a', maxParallel: 1 },
          { name: 'b', maxParallel: 1000 },
        ],
      }),
    ],
    ['an empty selector (the whole fleet, said explicitly)', withBody({ selector: {} })],
    [
      'wave overrides of a policy (names are checked by the planner, against the waves)',
      withBody({
        policy: { type: 'by-cloud', order: ['aws'], canaryPercent: 10 },
        waveOverrides: {
          'aws-canary': { approval: 'manual', bakeSeconds: 600 },
          aws: { maxParallel: 50, maxFailures: 3 },
          remainder: {},
        },
      }),
    ],
  ];
  for (const [name, body] of accepted) {
    void it(`when given ${name}, then it is accepted`, () => {
      const result = OperationRequestSchema.safeParse(body);
      assert.equal(result.success, true, JSON.stringify(result.error?.issues));
    });
  }
});

void describe('OperationRequestSchema rejects', () => {
  const rejected: [string, unknown, string][] = [
    ['an unknown top-level field', withBody({ force: true }), ''],
    ['an unknown wave field', withBody({ waves: [{ name: 'a', parallel: 2 }] }), 'waves.0'],
    ['an unknown action field', withBody({ action: { type: 'restart', graceful: true } }), 'action'],
    ['an unknown selector field', withBody({ selector: { kinds: 'kafka' } }), 'selector'],
    ['an unknown monitor field', withBody({ monitor: { retries: 3 } }), 'monitor'],
    [
      'both waves and policy',
      withBody({ waves: [{ name: 'a' }], policy: { type: 'by-cloud', order: ['aws'] } }),
      'policy',
    ],
    ['a bad semver target', withBody({ action: { type: 'upgrade', targetVersion: '3.7' } }), 'action.targetVersion'],
    ['a bad semver in the selector', withBody({ selector: { versionBelow: 'v3.7.1' } }), 'selector.versionBelow'],
    ['an upgrade without targetVersion', withBody({ action: { type: 'upgrade' } }), 'action.targetVersion'],
    ['a config without settings', withBody({ action: { type: 'config' } }), 'action.settings'],
    ['a config with empty settings', withBody({ action: { type: 'config', settings: {} } }), 'action.settings'],
    [
      'a config with a non-scalar setting',
      withBody({ action: { type: 'config', settings: { a: { b: 1 } } } }),
      'action.settings.a',
    ],
    ['an unknown action type', withBody({ action: { type: 'reboot' } }), 'action.type'],
    ['duplicate wave names', withBody({ waves: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] }), 'waves.2.name'],
    ['a wave named remainder', withBody({ waves: [{ name: 'remainder' }] }), 'waves.0.name'],
    ['maxParallel 0', withBody({ waves: [{ name: 'a', maxParallel: 0 }] }), 'waves.0.maxParallel'],
    ['maxParallel 1001', withBody({ waves: [{ name: 'a', maxParallel: 1001 }] }), 'waves.0.maxParallel'],
    ['a fractional maxParallel', withBody({ defaults: { maxParallel: 1.5 } }), 'defaults.maxParallel'],
    ['negative maxFailures', withBody({ waves: [{ name: 'a', maxFailures: -1 }] }), 'waves.0.maxFailures'],
    ['negative bakeSeconds', withBody({ waves: [{ name: 'a', bakeSeconds: -1 }] }), 'waves.0.bakeSeconds'],
    ['percent 0', withBody({ waves: [{ name: 'a', percent: 0 }] }), 'waves.0.percent'],
    ['percent 101', withBody({ waves: [{ name: 'a', percent: 101 }] }), 'waves.0.percent'],
    ['an unknown approval', withBody({ waves: [{ name: 'a', approval: 'auto' }] }), 'waves.0.approval'],
    ['an empty waves list', withBody({ waves: [] }), 'waves'],
    ['101 waves', withBody({ waves: Array.from({ length: 101 }, (_, i) => ({ name: `w${i}` })) }), 'waves'],
    ['a bad operation name', withBody({ name: 'Kafka Upgrade' }), 'name'],
    ['a missing selector', { name: 'x', action: { type: 'restart' } }, 'selector'],
    ['a policy with an empty order', withBody({ policy: { type: 'by-cloud', order: [] } }), 'policy.order'],
    [
      'a policy naming a cloud twice',
      withBody({ policy: { type: 'by-cloud', order: ['aws', 'aws'] } }),
      'policy.order',
    ],
    [
      'a policy whose waves would clash',
      withBody({ policy: { type: 'by-cloud', order: ['aws', 'aws-canary'], canaryPercent: 5 } }),
      'policy.order',
    ],
    [
      'a policy naming a cloud remainder',
      withBody({ policy: { type: 'by-cloud', order: ['remainder'] } }),
      'policy.order',
    ],
    ['an unknown policy type', withBody({ policy: { type: 'by-region', order: ['aws'] } }), 'policy.type'],
    [
      'canaryPercent 0',
      withBody({ policy: { type: 'by-cloud', order: ['aws'], canaryPercent: 0 } }),
      'policy.canaryPercent',
    ],
    ['monitor timeoutSeconds 0', withBody({ monitor: { timeoutSeconds: 0 } }), 'monitor.timeoutSeconds'],
    ['monitor stableChecks 0', withBody({ monitor: { stableChecks: 0 } }), 'monitor.stableChecks'],
    [
      'an interval longer than the timeout',
      withBody({ monitor: { timeoutSeconds: 5, intervalSeconds: 10 } }),
      'monitor.intervalSeconds',
    ],
    ['a negative maxFailuresTotal', withBody({ maxFailuresTotal: -1 }), 'maxFailuresTotal'],
    ['an unknown onFailure', withBody({ onFailure: 'retry' }), 'onFailure'],
    ['an unknown knob in a wave override', withBody({ waveOverrides: { aws: { percent: 10 } } }), 'waveOverrides.aws'],
    [
      'maxParallel 0 in a wave override',
      withBody({ waveOverrides: { aws: { maxParallel: 0 } } }),
      'waveOverrides.aws.maxParallel',
    ],
    [
      'an unknown approval in a wave override',
      withBody({ waveOverrides: { aws: { approval: 'auto' } } }),
      'waveOverrides.aws.approval',
    ],
    ['a wave override that is not an object', withBody({ waveOverrides: { aws: 5 } }), 'waveOverrides.aws'],
    ['waveOverrides that is a list', withBody({ waveOverrides: [{ aws: {} }] }), 'waveOverrides'],
  ];
  for (const [name, body, path] of rejected) {
    void it(`when given ${name}, then it is rejected at '${path}'`, () => {
      const result = OperationRequestSchema.safeParse(body);
      assert.equal(result.success, false);
      const paths = result.error.issues.map((issue) => issue.path.join('.'));
      assert.ok(paths.includes(path), `expected an issue at '${path}', got ${JSON.stringify(paths)}`);
    });
  }
});

void describe('OperationRequestSchema defaults', () => {
  void it('when optional fields are omitted, then the documented defaults are filled in', () => {
    const parsed = OperationRequestSchema.parse(base);
    assert.deepEqual(parsed.defaults, { maxParallel: 1, maxFailures: 0, bakeSeconds: 0, approval: 'none' });
    assert.deepEqual(parsed.monitor, {
      timeoutSeconds: 600,
      intervalSeconds: 10,
      stableChecks: 3,
      require: [],
      shadowRequire: [],
    });
    assert.deepEqual(parsed.limits, { applyTimeoutSeconds: 3600, leaseCheckSeconds: 30 });
    assert.equal(parsed.onLeased, 'wait');
    assert.equal(parsed.deadline, undefined);
    assert.equal(parsed.waveOverrides, undefined);
    assert.deepEqual(parsed.alarms, []);
    assert.equal(parsed.alarmIntervalSeconds, 30);
    assert.equal(parsed.onFailure, 'pause');
    assert.equal(parsed.rollbackOnFailure, false);
    assert.equal(parsed.maxFailuresTotal, undefined);
    assert.equal(parsed.waves, undefined);
    assert.equal(parsed.policy, undefined);
  });

  void it('when defaults and monitor are given in part, then the rest is filled in', () => {
    const parsed = OperationRequestSchema.parse(
      withBody({ defaults: { maxParallel: 20 }, monitor: { stableChecks: 5 } }),
    );
    assert.deepEqual(parsed.defaults, { maxParallel: 20, maxFailures: 0, bakeSeconds: 0, approval: 'none' });
    assert.deepEqual(parsed.monitor, {
      timeoutSeconds: 600,
      intervalSeconds: 10,
      stableChecks: 5,
      require: [],
      shadowRequire: [],
    });
  });

  void it('when limits, health rules and alarms are given, then they are kept and the alarm defaults filled in', () => {
    const parsed = OperationRequestSchema.parse(
      withBody({
        limits: { applyTimeoutSeconds: 120 },
        monitor: { require: [{ metric: 'underReplicatedPartitions', op: '<=', value: 0 }] },
        alarms: [{ name: 'errors', type: 'prometheus', url: 'http://prom:9090', query: 'sum(errors)' }],
        alarmIntervalSeconds: 5,
      }),
    );
    assert.deepEqual(parsed.limits, { applyTimeoutSeconds: 120, leaseCheckSeconds: 30 });
    assert.deepEqual(parsed.monitor.require, [{ metric: 'underReplicatedPartitions', op: '<=', value: 0 }]);
    assert.deepEqual(parsed.alarms, [
      {
        name: 'errors',
        type: 'prometheus',
        url: 'http://prom:9090',
        query: 'sum(errors)',
        fireWhen: { op: '>', value: 0 },
        failAfterErrors: 3,
        timeoutMs: 5000,
      },
    ]);
    assert.equal(parsed.alarmIntervalSeconds, 5);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['an apply timeout under a second', { limits: { applyTimeoutSeconds: 0.5 } }, 'limits.applyTimeoutSeconds'],
    ['an apply timeout over a week', { limits: { applyTimeoutSeconds: 604_801 } }, 'limits.applyTimeoutSeconds'],
    ['an unknown limit', { limits: { applyTimeout: 5 } }, 'limits'],
    [
      'a health rule with an unknown op',
      { monitor: { require: [{ metric: 'm', op: '!=', value: 0 }] } },
      'monitor.require.0.op',
    ],
    ['a health rule without a metric', { monitor: { require: [{ op: '<', value: 0 }] } }, 'monitor.require.0.metric'],
    ['an alarm interval of an hour and more', { alarmIntervalSeconds: 3601 }, 'alarmIntervalSeconds'],
    [
      'a prometheus alarm without a query',
      { alarms: [{ name: 'a', type: 'prometheus', url: 'http://p:9090' }] },
      'alarms.0.query',
    ],
    ['an alarm of an unknown type', { alarms: [{ name: 'a', type: 'cloudwatch', url: 'http://p' }] }, 'alarms.0.type'],
    [
      'two alarms with one name',
      {
        alarms: [
          { name: 'a', type: 'http', url: 'http://p' },
          { name: 'a', type: 'http', url: 'http://q' },
        ],
      },
      'alarms.1.name',
    ],
    ['no lane', { limits: { waveLanes: 0 } }, 'limits.waveLanes'],
    ['nine lanes', { limits: { waveLanes: 9 } }, 'limits.waveLanes'],
    ['half a lane', { limits: { waveLanes: 1.5 } }, 'limits.waveLanes'],
  ];
  for (const [what, body, path] of invalid) {
    void it(`when the request has ${what}, then it is refused at ${path}`, () => {
      const result = OperationRequestSchema.safeParse(withBody(body));
      assert.equal(result.success, false);
      const paths = result.error.issues.map((issue) => issue.path.join('.'));
      assert.ok(
        paths.some((p) => p.startsWith(path)),
        `issues at ${paths.join(', ')}`,
      );
    });
  }

  void it('when lanes are asked for, then they are kept; when not, there are none', () => {
    const parsed = OperationRequestSchema.parse(withBody({ limits: { waveLanes: 4 } }));
    assert.deepEqual(parsed.limits, { applyTimeoutSeconds: 3600, leaseCheckSeconds: 30, waveLanes: 4 });
    assert.equal(OperationRequestSchema.parse(base).limits.waveLanes, undefined);
  });

  void it('when a by-cloud policy omits internalFirst, then it defaults to true', () => {
    const parsed = OperationRequestSchema.parse(withBody({ policy: { type: 'by-cloud', order: ['gcp'] } }));
    assert.deepEqual(parsed.policy, { type: 'by-cloud', order: ['gcp'], internalFirst: true });
  });

  void it('when a wave omits its knobs, then the schema leaves them for the planner to take from defaults', () => {
    const parsed = OperationRequestSchema.parse(withBody({ waves: [{ name: 'a' }] }));
    assert.deepEqual(parsed.waves, [{ name: 'a' }]);
  });
});

void describe('PatchOperationBodySchema', () => {
  const cases: [string, unknown, boolean][] = [
    ['maxParallel alone (the running and later waves)', { maxParallel: 10 }, true],
    ['maxParallel for one wave', { maxParallel: 2, wave: 3 }, true],
    ['wave 0', { maxParallel: 2, wave: 0 }, false],
    ['a fractional wave', { maxParallel: 2, wave: 1.5 }, false],
    ['a wave given as a string', { maxParallel: 2, wave: '3' }, false],
    ['an unknown field', { maxParallel: 2, waves: [3] }, false],
  ];
  for (const [what, body, ok] of cases) {
    void it(`when given ${what}, then it is ${ok ? 'accepted' : 'refused'}`, () => {
      assert.equal(PatchOperationBodySchema.safeParse(body).success, ok);
    });
  }
});
