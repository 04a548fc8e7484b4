// The planner: selection, skips, waves by first match, percent slices, policies and the remainder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationFailed } from '../../domain/errors';
import { OperationRequestSchema, type OperationRequestInput } from '../../domain/operation';
import { percentShare, planOperation, resolveWaves, type Plan } from '../../domain/planner';
import type { PlannableCluster } from '../../domain/selector';

const cluster = (id: string, fields: Partial<PlannableCluster> = {}): PlannableCluster => ({
  id,
  kind: 'kafka',
  cloud: 'aws',
  region: 'us-east-1',
  environment: 'customer',
  tier: 'standard',
  version: '3.6.0',
  labels: {},
  ...fields,
});

/** `count` clusters named `<prefix>-000…`, all alike but for the fields given. */
const many = (prefix: string, count: number, fields: Partial<PlannableCluster> = {}) =>
  Array.from({ length: count }, (_, i) => cluster(`${prefix}-${String(i).padStart(3, '0')}`, fields));

const request = (patch: Partial<OperationRequestInput> = {}) =>
  OperationRequestSchema.parse({
    name: 'op',
    action: { type: 'upgrade', targetVersion: '3.7.1' },
    selector: { kind: 'kafka' },
    ...patch,
  });

/** A seeded shuffle, so the "any input order" tests are reproducible. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const waveNames = (plan: Plan) => plan.waves.map((w) => w.name);
const idsOf = (plan: Plan, name: string) => plan.waves.find((w) => w.name === name)?.clusterIds ?? [];

/** Every selected cluster is in exactly one wave or skipped; total counts the waves. */
function assertAccountsFor(plan: Plan, selectedIds: string[]) {
  const placed = [...plan.waves.flatMap((w) => w.clusterIds), ...plan.skipped.map((s) => s.clusterId)];
  assert.deepEqual([...placed].sort(), [...selectedIds].sort());
  assert.equal(
    plan.total,
    plan.waves.reduce((n, w) => n + w.clusterIds.length, 0),
  );
  assert.deepEqual(
    plan.waves.map((w) => w.number),
    plan.waves.map((_, i) => i + 1),
  );
  for (const wave of plan.waves) assert.deepEqual(wave.clusterIds, [...wave.clusterIds].sort());
}

void describe('planOperation: selection and skips', () => {
  void it('when the selector matches no cluster, then it throws validation_failed with reason empty_selection', () => {
    assert.throws(
      () => planOperation(request({ selector: { kind: 'ksqldb' } }), [cluster('a'), cluster('b')]),
      (err: unknown) => {
        assert.ok(err instanceof ValidationFailed);
        assert.equal(err.code, 'validation_failed');
        assert.equal(err.status, 400);
        assert.equal(err.message, 'the selector matches no cluster');
        assert.equal(err.details[0]?.reason, 'empty_selection');
        return true;
      },
    );
  });

  void it('when clusters do not match the top-level selector, then they are not in the plan at all', () => {
    const plan = planOperation(request(), [cluster('k1'), cluster('s1', { kind: 'ksqldb' })]);
    assertAccountsFor(plan, ['k1']);
  });

  const skipCases: [string, string, 'skipped' | 'planned'][] = [
    ['equal to the target', '3.7.1', 'skipped'],
    ['above the target', '3.8.0', 'skipped'],
    ['the target with other build metadata', '3.7.1+b7', 'skipped'],
    ['a prerelease of the target', '3.7.1-rc.1', 'planned'],
    ['below the target', '3.6.0', 'planned'],
  ];
  for (const [what, version, outcome] of skipCases) {
    void it(`when an upgrade meets a version ${what}, then the cluster is ${outcome}`, () => {
      const plan = planOperation(request(), [cluster('a', { version })]);
      if (outcome === 'skipped') {
        assert.deepEqual(plan.skipped, [{ clusterId: 'a', reason: 'already_at_target' }]);
        assert.equal(plan.total, 0);
      } else {
        assert.deepEqual(plan.skipped, []);
        assert.deepEqual(idsOf(plan, 'remainder'), ['a']);
      }
    });
  }

  void it('when the action is a restart, then no cluster is skipped whatever its version', () => {
    const plan = planOperation(request({ action: { type: 'restart' } }), [cluster('a', { version: '9.9.9' })]);
    assert.deepEqual(plan.skipped, []);
    assert.equal(plan.total, 1);
  });

  void it('when every selected cluster is at the target, then the plan has zero waves and lists them skipped', () => {
    const plan = planOperation(request({ waves: [{ name: 'w' }] }), [
      cluster('b', { version: '3.7.1' }),
      cluster('a', { version: '4.0.0' }),
    ]);
    assert.deepEqual(plan.waves, []);
    assert.equal(plan.total, 0);
    assert.deepEqual(
      plan.skipped.map((s) => s.clusterId),
      ['a', 'b'],
    );
    assert.deepEqual(plan.emptyWaves, ['w']);
  });

  void it('when some clusters are skipped, then percent slices count only the clusters to change', () => {
    const fleet = [...many('new', 10, { version: '3.7.1' }), ...many('old', 10)];
    const plan = planOperation(request({ waves: [{ name: 'canary', percent: 10 }] }), fleet);
    assert.equal(idsOf(plan, 'canary').length, 1);
    assert.ok(idsOf(plan, 'canary')[0]?.startsWith('old-'));
  });
});

void describe('planOperation: waves', () => {
  const fleet = [
    cluster('int-aws', { environment: 'internal' }),
    cluster('int-gcp', { environment: 'internal', cloud: 'gcp' }),
    cluster('cust-gcp', { cloud: 'gcp' }),
    cluster('cust-aws'),
    cluster('cust-azure', { cloud: 'azure' }),
  ];

  void it('when no waves and no policy are given, then every cluster goes to one remainder wave with the defaults', () => {
    const plan = planOperation(request({ defaults: { maxParallel: 7 } }), fleet);
    assert.deepEqual(plan.waves, [
      {
        number: 1,
        name: 'remainder',
        clusterIds: ['cust-aws', 'cust-azure', 'cust-gcp', 'int-aws', 'int-gcp'],
        maxParallel: 7,
        maxFailures: 0,
        bakeSeconds: 0,
        approval: 'none',
      },
    ]);
    assert.equal(plan.total, 5);
    assert.deepEqual(plan.emptyWaves, []);
  });

  void it('when a cluster matches two waves, then it joins the first', () => {
    const plan = planOperation(
      request({
        waves: [
          { name: 'gcp', selector: { cloud: 'gcp' } },
          { name: 'internal', selector: { environment: 'internal' } },
        ],
      }),
      fleet,
    );
    assert.deepEqual(idsOf(plan, 'gcp'), ['cust-gcp', 'int-gcp']);
    assert.deepEqual(idsOf(plan, 'internal'), ['int-aws']);
    assert.deepEqual(idsOf(plan, 'remainder'), ['cust-aws', 'cust-azure']);
    assertAccountsFor(
      plan,
      fleet.map((c) => c.id),
    );
  });

  void it('when a wave has no selector, then it takes everything still unclaimed and no remainder is made', () => {
    const plan = planOperation(
      request({ waves: [{ name: 'internal', selector: { environment: 'internal' } }, { name: 'rest' }] }),
      fleet,
    );
    assert.deepEqual(waveNames(plan), ['internal', 'rest']);
    assert.deepEqual(idsOf(plan, 'rest'), ['cust-aws', 'cust-azure', 'cust-gcp']);
  });

  void it('when a declared wave matches nothing, then it is dropped, reported in emptyWaves, and numbers stay contiguous', () => {
    const plan = planOperation(
      request({
        waves: [
          { name: 'oracle', selector: { cloud: 'oracle' } },
          { name: 'gcp', selector: { cloud: 'gcp' } },
        ],
      }),
      fleet,
    );
    assert.deepEqual(
      plan.waves.map((w) => [w.number, w.name]),
      [
        [1, 'gcp'],
        [2, 'remainder'],
      ],
    );
    assert.deepEqual(plan.emptyWaves, ['oracle']);
  });

  void it('when a wave sets some knobs, then it keeps them and takes the others from defaults; remainder takes only defaults', () => {
    const plan = planOperation(
      request({
        waves: [{ name: 'gcp', selector: { cloud: 'gcp' }, maxParallel: 5, approval: 'manual', bakeSeconds: 0.5 }],
        defaults: { maxFailures: 2, bakeSeconds: 30 },
      }),
      fleet,
    );
    const [gcp, remainder] = plan.waves;
    const knobs = { maxParallel: 5, maxFailures: 2, bakeSeconds: 0.5, approval: 'manual' };
    assert.deepEqual({ ...gcp, clusterIds: [] }, { number: 1, name: 'gcp', clusterIds: [], ...knobs });
    const defaults = { maxParallel: 1, maxFailures: 2, bakeSeconds: 30, approval: 'none' };
    assert.deepEqual({ ...remainder, clusterIds: [] }, { number: 2, name: 'remainder', clusterIds: [], ...defaults });
  });
});

void describe('planOperation: percent slices', () => {
  const shares: [number, number, number][] = [
    [10, 25, 3],
    [10, 30, 3],
    [10, 31, 4],
    [1, 5, 1],
    [33, 3, 1],
    [50, 3, 2],
    [100, 7, 7],
    [10, 0, 0],
  ];
  for (const [percent, count, expected] of shares) {
    void it(`when a wave has percent ${percent} over ${count} matches, then it takes ceil(${percent}%) = ${expected}`, () => {
      assert.equal(percentShare(count, percent), expected);
      if (count === 0) return;
      const plan = planOperation(request({ waves: [{ name: 'slice', percent }] }), many('c', count));
      assert.equal(idsOf(plan, 'slice').length, expected);
      assertAccountsFor(
        plan,
        many('c', count).map((c) => c.id),
      );
    });
  }

  void it('when the same fleet is given in any order, then the plan is identical', () => {
    const fleet = [
      ...many('aws', 40),
      ...many('gcp', 30, { cloud: 'gcp' }),
      ...many('int', 5, { environment: 'internal' }),
    ];
    const req = request({ policy: { type: 'by-cloud', order: ['gcp', 'aws'], canaryPercent: 10 } });
    const expected = planOperation(req, fleet);
    for (const seed of [1, 2, 3, 42]) assert.deepEqual(planOperation(req, shuffled(fleet, seed)), expected);
  });

  void it('when percent slices a fleet of sequential ids, then the slice is not simply the first ids', () => {
    const plan = planOperation(request({ waves: [{ name: 'canary', percent: 10 }] }), many('kafka', 100));
    assert.equal(idsOf(plan, 'canary').length, 10);
    assert.notDeepEqual(
      idsOf(plan, 'canary'),
      many('kafka', 10).map((c) => c.id),
    );
  });

  void it('when the cluster ids differ, then a different slice is chosen', () => {
    const suffixes = (prefix: string) => {
      const plan = planOperation(request({ waves: [{ name: 'canary', percent: 10 }] }), many(prefix, 50));
      return idsOf(plan, 'canary').map((id) => id.slice(prefix.length));
    };
    assert.notDeepEqual(suffixes('east'), suffixes('west'));
  });

  void it('when percent leaves matches behind, then they stay eligible for later waves', () => {
    const fleet = [...many('gcp', 20, { cloud: 'gcp' }), ...many('aws', 5)];
    const plan = planOperation(
      request({
        waves: [
          { name: 'gcp-canary', selector: { cloud: 'gcp' }, percent: 10 },
          { name: 'gcp', selector: { cloud: 'gcp' } },
        ],
      }),
      fleet,
    );
    assert.equal(idsOf(plan, 'gcp-canary').length, 2);
    assert.equal(idsOf(plan, 'gcp').length, 18);
    assert.deepEqual(
      idsOf(plan, 'remainder'),
      many('aws', 5).map((c) => c.id),
    );
    assertAccountsFor(
      plan,
      fleet.map((c) => c.id),
    );
  });

  void it('when a percent wave has the last matches, then the leftovers fall into remainder', () => {
    const plan = planOperation(request({ waves: [{ name: 'half', percent: 50 }] }), many('c', 9));
    assert.deepEqual(
      plan.waves.map((w) => [w.name, w.clusterIds.length]),
      [
        ['half', 5],
        ['remainder', 4],
      ],
    );
  });
});

void describe('planOperation: by-cloud policy', () => {
  const fleet = [
    ...many('aws', 10),
    ...many('gcp', 10, { cloud: 'gcp' }),
    ...many('azure', 10, { cloud: 'azure' }),
    ...many('oci', 2, { cloud: 'oci' }),
    cluster('int-aws', { environment: 'internal' }),
    cluster('int-gcp', { environment: 'internal', cloud: 'gcp' }),
  ];
  const ids = fleet.map((c) => c.id);

  void it('when internalFirst is on and there is no canary, then internal comes first, then each cloud in order, then remainder', () => {
    const plan = planOperation(request({ policy: { type: 'by-cloud', order: ['azure', 'aws', 'gcp'] } }), fleet);
    assert.deepEqual(waveNames(plan), ['internal', 'azure', 'aws', 'gcp', 'remainder']);
    assert.deepEqual(idsOf(plan, 'internal'), ['int-aws', 'int-gcp']);
    assert.equal(idsOf(plan, 'aws').length, 10);
    assert.deepEqual(idsOf(plan, 'remainder'), ['oci-000', 'oci-001']);
    assertAccountsFor(plan, ids);
  });

  void it('when canaryPercent is set, then each cloud gets a canary slice of its customers before the rest', () => {
    const plan = planOperation(
      request({ policy: { type: 'by-cloud', order: ['gcp', 'aws'], canaryPercent: 20 } }),
      fleet,
    );
    assert.deepEqual(waveNames(plan), ['internal', 'gcp-canary', 'gcp', 'aws-canary', 'aws', 'remainder']);
    assert.equal(idsOf(plan, 'gcp-canary').length, 2);
    assert.equal(idsOf(plan, 'gcp').length, 8);
    assert.ok(!idsOf(plan, 'gcp-canary').includes('int-gcp'));
    assert.equal(idsOf(plan, 'remainder').length, 12);
    assertAccountsFor(plan, ids);
  });

  void it('when internalFirst is false, then internal clusters ride with their cloud', () => {
    const plan = planOperation(request({ policy: { type: 'by-cloud', order: ['gcp'], internalFirst: false } }), fleet);
    assert.deepEqual(waveNames(plan), ['gcp', 'remainder']);
    assert.equal(idsOf(plan, 'gcp').length, 11);
    assert.ok(idsOf(plan, 'remainder').includes('int-aws'));
  });

  void it('when neither waves nor policy is given, then resolveWaves declares no wave', () => {
    assert.deepEqual(resolveWaves(request()), []);
  });

  void it('when the policy generates waves, then they take the request defaults', () => {
    const req = request({
      policy: { type: 'by-cloud', order: ['aws'], canaryPercent: 5 },
      defaults: { maxParallel: 9, approval: 'manual' },
    });
    assert.deepEqual(resolveWaves(req), [
      {
        name: 'internal',
        selector: { environment: 'internal' },
        maxParallel: 9,
        maxFailures: 0,
        bakeSeconds: 0,
        approval: 'manual',
      },
      {
        name: 'aws-canary',
        selector: { cloud: 'aws' },
        percent: 5,
        maxParallel: 9,
        maxFailures: 0,
        bakeSeconds: 0,
        approval: 'manual',
      },
      { name: 'aws', selector: { cloud: 'aws' }, maxParallel: 9, maxFailures: 0, bakeSeconds: 0, approval: 'manual' },
    ]);
  });

  void it('when a cloud in the order has no clusters, then its waves are reported empty', () => {
    const plan = planOperation(
      request({ policy: { type: 'by-cloud', order: ['ibm', 'aws'], canaryPercent: 10 } }),
      fleet,
    );
    assert.deepEqual(plan.emptyWaves, ['ibm-canary', 'ibm']);
    assert.deepEqual(waveNames(plan), ['internal', 'aws-canary', 'aws', 'remainder']);
  });
});

void describe('planOperation: wave overrides', () => {
  const fleet = [
    ...many('aws', 10),
    ...many('gcp', 10, { cloud: 'gcp' }),
    ...many('oci', 2, { cloud: 'oci' }),
    cluster('int-aws', { environment: 'internal' }),
  ];
  const policy = { type: 'by-cloud' as const, order: ['aws', 'gcp'], canaryPercent: 10 };
  const knobsOf = (plan: Plan, name: string) => {
    const wave = plan.waves.find((w) => w.name === name);
    assert.ok(wave, `no wave '${name}' in ${waveNames(plan).join(', ')}`);
    const { maxParallel, maxFailures, bakeSeconds, approval } = wave;
    return { maxParallel, maxFailures, bakeSeconds, approval };
  };
  const defaults = { maxParallel: 4, maxFailures: 1, bakeSeconds: 0, approval: 'none' };

  void it('when a policy canary is overridden with a manual approval and a bake, then only that canary gets them', () => {
    const plan = planOperation(
      request({
        policy,
        defaults: { maxParallel: 4, maxFailures: 1 },
        waveOverrides: { 'aws-canary': { approval: 'manual', bakeSeconds: 600 } },
      }),
      fleet,
    );
    assert.deepEqual(waveNames(plan), ['internal', 'aws-canary', 'aws', 'gcp-canary', 'gcp', 'remainder']);
    assert.deepEqual(knobsOf(plan, 'aws-canary'), { ...defaults, approval: 'manual', bakeSeconds: 600 });
    for (const name of ['internal', 'aws', 'gcp-canary', 'gcp', 'remainder']) {
      assert.deepEqual(knobsOf(plan, name), defaults, name);
    }
    assertAccountsFor(
      plan,
      fleet.map((c) => c.id),
    );
  });

  void it('when maxParallel and maxFailures are overridden, then the wave takes them and keeps the other defaults', () => {
    const plan = planOperation(
      request({
        policy,
        defaults: { maxParallel: 4, maxFailures: 1 },
        waveOverrides: { gcp: { maxParallel: 50, maxFailures: 5 }, internal: { maxParallel: 1 } },
      }),
      fleet,
    );
    assert.deepEqual(knobsOf(plan, 'gcp'), { ...defaults, maxParallel: 50, maxFailures: 5 });
    assert.deepEqual(knobsOf(plan, 'internal'), { ...defaults, maxParallel: 1 });
    assert.deepEqual(knobsOf(plan, 'gcp-canary'), defaults);
  });

  void it('when a declared wave sets a knob and an override sets it too, then the override wins; its other knobs stay', () => {
    const plan = planOperation(
      request({
        waves: [
          { name: 'canary', selector: { cloud: 'gcp' }, maxParallel: 2, bakeSeconds: 30, approval: 'manual' },
          { name: 'rest', maxParallel: 10 },
        ],
        waveOverrides: { canary: { maxParallel: 5, approval: 'none' } },
      }),
      fleet,
    );
    assert.deepEqual(knobsOf(plan, 'canary'), { maxParallel: 5, maxFailures: 0, bakeSeconds: 30, approval: 'none' });
    assert.deepEqual(knobsOf(plan, 'rest'), { maxParallel: 10, maxFailures: 0, bakeSeconds: 0, approval: 'none' });
  });

  void it('when remainder is overridden, then the clusters no wave claimed run with the override', () => {
    const plan = planOperation(
      request({ policy, waveOverrides: { remainder: { approval: 'manual', maxParallel: 3 } } }),
      fleet,
    );
    assert.deepEqual(idsOf(plan, 'remainder'), ['oci-000', 'oci-001']);
    assert.deepEqual(knobsOf(plan, 'remainder'), {
      maxParallel: 3,
      maxFailures: 0,
      bakeSeconds: 0,
      approval: 'manual',
    });
  });

  void it('when neither waves nor policy is given, then remainder can be overridden: it is the only wave', () => {
    const plan = planOperation(request({ waveOverrides: { remainder: { bakeSeconds: 1 } } }), fleet);
    assert.deepEqual(knobsOf(plan, 'remainder'), { maxParallel: 1, maxFailures: 0, bakeSeconds: 1, approval: 'none' });
  });

  void it('when an overridden wave is empty today, then the override is accepted and the wave is listed in emptyWaves', () => {
    const req = request({
      policy: { type: 'by-cloud', order: ['azure', 'aws'], canaryPercent: 10 },
      waveOverrides: { 'azure-canary': { approval: 'manual' }, remainder: { maxParallel: 2 } },
    });
    const plan = planOperation(req, many('aws', 5));
    assert.deepEqual(plan.emptyWaves, ['internal', 'azure-canary', 'azure']);
    assert.deepEqual(waveNames(plan), ['aws-canary', 'aws']);
    assert.deepEqual(resolveWaves(req)[1], {
      name: 'azure-canary',
      selector: { cloud: 'azure' },
      percent: 10,
      maxParallel: 1,
      maxFailures: 0,
      bakeSeconds: 0,
      approval: 'manual',
    });
  });

  /** The ValidationFailed a plan of `patch` throws, checked for the shape every unknown-name refusal has. */
  const refusal = (patch: Partial<OperationRequestInput>): ValidationFailed => {
    let caught: unknown;
    assert.throws(
      () => planOperation(request(patch), fleet),
      (err: unknown) => ((caught = err), true),
    );
    assert.ok(caught instanceof ValidationFailed, String(caught));
    assert.equal(caught.status, 400);
    assert.equal(caught.code, 'validation_failed');
    return caught;
  };

  void it('when an override names a wave the policy cannot generate, then it is a 400 listing the waves at waveOverrides.<name>', () => {
    const err = refusal({ policy, waveOverrides: { 'aws-canry': { approval: 'manual' }, aws: { maxParallel: 2 } } });
    const waves = ['internal', 'aws-canary', 'aws', 'gcp-canary', 'gcp', 'remainder'];
    assert.deepEqual(err.details, [
      {
        path: 'waveOverrides.aws-canry',
        message: `no wave is named 'aws-canry'; this request's waves are: ${waves.join(', ')}`,
        reason: 'unknown_wave',
        waves,
      },
    ]);
    assert.match(err.message, /aws-canry/);
  });

  const unknownCases: [string, Partial<OperationRequestInput>, string, string[]][] = [
    [
      'internal when internalFirst is off',
      { policy: { type: 'by-cloud', order: ['aws'], internalFirst: false }, waveOverrides: { internal: {} } },
      'internal',
      ['aws', 'remainder'],
    ],
    [
      'a canary when the policy has no canaryPercent',
      { policy: { type: 'by-cloud', order: ['aws'] }, waveOverrides: { 'aws-canary': { bakeSeconds: 5 } } },
      'aws-canary',
      ['internal', 'aws', 'remainder'],
    ],
    [
      'a cloud the policy does not order',
      { policy, waveOverrides: { oci: { maxParallel: 2 } } },
      'oci',
      ['internal', 'aws-canary', 'aws', 'gcp-canary', 'gcp', 'remainder'],
    ],
    [
      'a wave that is not declared',
      { waves: [{ name: 'canary', selector: { cloud: 'gcp' } }], waveOverrides: { internal: { maxParallel: 2 } } },
      'internal',
      ['canary', 'remainder'],
    ],
    [
      'any wave but remainder when no waves are given',
      { waveOverrides: { internal: { approval: 'manual' } } },
      'internal',
      ['remainder'],
    ],
  ];
  for (const [what, patch, name, waves] of unknownCases) {
    void it(`when an override names ${what}, then it is refused at waveOverrides.${name}`, () => {
      const [detail, ...more] = refusal(patch).details;
      assert.deepEqual(more, []);
      assert.equal(detail?.path, `waveOverrides.${name}`);
      assert.equal(detail?.reason, 'unknown_wave');
      assert.deepEqual(detail?.waves, waves);
    });
  }

  void it('when a declared wave takes everything left, then remainder cannot form and an override of it is refused', () => {
    const err = refusal({
      waves: [{ name: 'canary', selector: { cloud: 'gcp' }, percent: 10 }, { name: 'rest' }],
      waveOverrides: { remainder: { approval: 'manual' } },
    });
    assert.equal(err.details[0]?.path, 'waveOverrides.remainder');
    assert.match(err.details[0]?.message ?? '', /wave 'rest' takes every cluster still unclaimed/);
    assert.deepEqual(err.details[0]?.waves, ['canary', 'rest']);
  });

  void it('when a declared wave is named like an Object member, then it takes no override from the prototype', () => {
    const plan = planOperation(
      request({
        waves: [{ name: 'constructor', selector: { cloud: 'gcp' } }],
        waveOverrides: { remainder: { maxParallel: 2 } },
      }),
      fleet,
    );
    assert.deepEqual(knobsOf(plan, 'constructor'), {
      maxParallel: 1,
      maxFailures: 0,
      bakeSeconds: 0,
      approval: 'none',
    });
    assert.equal(knobsOf(plan, 'remainder').maxParallel, 2);
  });

  void it('when the overrides are wrong and the selector matches nothing, then the overrides are reported first', () => {
    const err = refusal({ selector: { kind: 'ksqldb' }, policy, waveOverrides: { nope: {} } });
    assert.equal(err.details[0]?.reason, 'unknown_wave');
  });
});
