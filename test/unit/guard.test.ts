// The fleet guard's pure rules: which clusters a scope holds, what limits and freezes the schemas accept,
// and the small helpers around them (versions, pause reasons, a freeze's state, when a limit trips).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalLimits,
  describeScope,
  failuresExceeded,
  FreezeInputSchema,
  freezeState,
  GuardLimitsBodySchema,
  limitOfPauseReason,
  scopeMatches,
  type GuardScope,
} from '../../domain/guard';

const cluster = { cloud: 'gcp', region: 'us-east1', environment: 'customer', tier: 'dedicated', kind: 'kafka' };

void describe('scopeMatches', () => {
  const cases: { name: string; scope: GuardScope; tier?: string | null; matches: boolean }[] = [
    { name: 'the scope is empty', scope: {}, matches: true },
    { name: 'cloud equals', scope: { cloud: 'gcp' }, matches: true },
    { name: 'cloud differs', scope: { cloud: 'aws' }, matches: false },
    {
      name: 'every field given equals',
      scope: { cloud: 'gcp', environment: 'customer', kind: 'kafka' },
      matches: true,
    },
    { name: 'one of several fields differs', scope: { cloud: 'gcp', environment: 'internal' }, matches: false },
    { name: 'region equals', scope: { region: 'us-east1' }, matches: true },
    { name: 'region differs', scope: { region: 'eu-west1' }, matches: false },
    { name: 'tier equals', scope: { tier: 'dedicated' }, matches: true },
    { name: 'tier is named and the cluster has none', scope: { tier: 'dedicated' }, tier: null, matches: false },
    { name: 'no tier is named and the cluster has none', scope: { kind: 'kafka' }, tier: null, matches: true },
    { name: 'kind differs', scope: { kind: 'connect' }, matches: false },
  ];
  for (const c of cases) {
    it(`when ${c.name}, then it ${c.matches ? 'matches' : 'does not match'}`, () => {
      const subject = c.tier === undefined ? cluster : { ...cluster, tier: c.tier };
      assert.equal(scopeMatches(c.scope, subject), c.matches);
    });
  }

  it('when a scope is described, then it reads as its fields, or the whole fleet', () => {
    assert.equal(describeScope({}), 'the whole fleet');
    assert.equal(describeScope({ environment: 'customer', cloud: 'gcp' }), 'cloud=gcp, environment=customer');
  });
});

const limit = { name: 'gcp-customer', scope: { cloud: 'gcp', environment: 'customer' }, maxInFlight: 20 };

void describe('GuardLimitsBodySchema', () => {
  const accepted: [string, unknown][] = [
    ['the contract example', { limits: [{ ...limit, maxFailuresPerHour: 5 }] }],
    ['no limits at all', { limits: [] }],
    ['a limit without a scope (the whole fleet)', { limits: [{ name: 'all', maxFailuresPerHour: 3 }] }],
    ['only maxFailuresPerHour', { limits: [{ name: 'f', scope: {}, maxFailuresPerHour: 1 }] }],
    ['every scope field', { limits: [{ name: 'x', scope: { ...cluster }, maxInFlight: 1 }] }],
  ];
  for (const [what, body] of accepted) {
    it(`when the body has ${what}, then it is accepted`, () => {
      assert.ok(GuardLimitsBodySchema.safeParse(body).success);
    });
  }

  it('when a limit has no scope, then it is the whole fleet', () => {
    const parsed = GuardLimitsBodySchema.parse({ limits: [{ name: 'all', maxInFlight: 3 }] });
    assert.deepEqual(parsed.limits[0]!.scope, {});
  });

  const refused: [string, unknown, string][] = [
    ['two limits with one name', { limits: [limit, { ...limit, maxInFlight: 3 }] }, 'limits.1.name'],
    ['neither maxInFlight nor maxFailuresPerHour', { limits: [{ name: 'x', scope: {} }] }, 'limits.0.maxInFlight'],
    ['maxInFlight 0', { limits: [{ ...limit, maxInFlight: 0 }] }, 'limits.0.maxInFlight'],
    [
      'a negative maxFailuresPerHour',
      { limits: [{ ...limit, maxFailuresPerHour: -1 }] },
      'limits.0.maxFailuresPerHour',
    ],
    ['a fractional maxInFlight', { limits: [{ ...limit, maxInFlight: 1.5 }] }, 'limits.0.maxInFlight'],
    ['a scope field clusters do not have', { limits: [{ ...limit, scope: { team: 'core' } }] }, 'limits.0.scope'],
    [
      'a scope value outside the inventory grammar',
      { limits: [{ ...limit, scope: { cloud: 'GCP' } }] },
      'limits.0.scope.cloud',
    ],
    ['a list as a scope value', { limits: [{ ...limit, scope: { cloud: ['gcp'] } }] }, 'limits.0.scope.cloud'],
    ['a bad name', { limits: [{ ...limit, name: 'Bad Name' }] }, 'limits.0.name'],
    ['an unknown field on a limit', { limits: [{ ...limit, max: 3 }] }, 'limits.0'],
    ['an unknown top-level field', { limits: [], extra: true }, ''],
    ['no limits field', {}, 'limits'],
    [
      'more than 100 limits',
      { limits: Array.from({ length: 101 }, (_, i) => ({ ...limit, name: `l${i}` })) },
      'limits',
    ],
  ];
  for (const [what, body, path] of refused) {
    it(`when the body has ${what}, then it is refused at '${path}'`, () => {
      const result = GuardLimitsBodySchema.safeParse(body);
      assert.equal(result.success, false);
      const paths = result.error.issues.map((issue) => issue.path.join('.'));
      assert.ok(paths.includes(path), `issues at ${JSON.stringify(paths)}`);
    });
  }
});

void describe('FreezeInputSchema', () => {
  const freeze = {
    name: 'year-end',
    from: '2025-12-20T00:00:00Z',
    to: '2026-01-05T00:00:00Z',
    reason: 'year-end change freeze',
  };

  it('when a freeze names no scope, then it is accepted and covers the whole fleet', () => {
    assert.deepEqual(FreezeInputSchema.parse(freeze).scope, {});
  });

  it('when a freeze has a scope and offsets other than Z, then it is accepted', () => {
    assert.ok(
      FreezeInputSchema.safeParse({ ...freeze, from: '2025-12-20T01:00:00+01:00', scope: { environment: 'customer' } })
        .success,
    );
  });

  const refused: [string, unknown, string][] = [
    ['to before from', { ...freeze, to: '2025-12-19T00:00:00Z' }, 'to'],
    ['to equal to from', { ...freeze, to: freeze.from }, 'to'],
    ['no reason', { ...freeze, reason: undefined }, 'reason'],
    ['a blank reason', { ...freeze, reason: '   ' }, 'reason'],
    ['a time without an offset', { ...freeze, from: '2025-12-20T00:00:00' }, 'from'],
    ['a date only', { ...freeze, to: '2026-01-05' }, 'to'],
    ['an unknown scope field', { ...freeze, scope: { labels: {} } }, 'scope'],
    ['an unknown field', { ...freeze, until: 'later' }, ''],
  ];
  for (const [what, body, path] of refused) {
    it(`when a freeze has ${what}, then it is refused at '${path}'`, () => {
      const result = FreezeInputSchema.safeParse(body);
      assert.equal(result.success, false);
      assert.ok(result.error.issues.some((issue) => issue.path.join('.') === path));
    });
  }

  it('when a freeze is looked at over time, then it is upcoming, active in [from, to), then ended', () => {
    const from = Date.parse(freeze.from);
    const to = Date.parse(freeze.to);
    assert.equal(freezeState(freeze, from - 1), 'upcoming');
    assert.equal(freezeState(freeze, from), 'active');
    assert.equal(freezeState(freeze, to - 1), 'active');
    assert.equal(freezeState(freeze, to), 'ended');
  });
});

void describe('limits, their version and their trip', () => {
  it('when the same limits are listed in another order or with another field order, then their canonical text is the same', () => {
    const a = { name: 'a', scope: { cloud: 'gcp', kind: 'kafka' }, maxInFlight: 2 };
    const b = { name: 'b', scope: {}, maxFailuresPerHour: 1 };
    const reordered = { maxInFlight: 2, scope: { kind: 'kafka', cloud: 'gcp' }, name: 'a' };
    assert.equal(canonicalLimits([a, b]), canonicalLimits([b, reordered]));
    assert.notEqual(canonicalLimits([a, b]), canonicalLimits([{ ...a, maxInFlight: 3 }, b]));
  });

  it('when failures reach maxFailuresPerHour, then the limit holds; one more trips it', () => {
    assert.equal(failuresExceeded({ maxFailuresPerHour: 5 }, 5), false);
    assert.equal(failuresExceeded({ maxFailuresPerHour: 5 }, 6), true);
    assert.equal(failuresExceeded({}, 1000), false);
  });

  it('when a pause reason names a limit, then the limit is read from it, and nothing from other reasons', () => {
    assert.equal(limitOfPauseReason('guard:gcp-customer'), 'gcp-customer');
    assert.equal(limitOfPauseReason('alarm:slo'), null);
    assert.equal(limitOfPauseReason('operator'), null);
    assert.equal(limitOfPauseReason(null), null);
  });
});
