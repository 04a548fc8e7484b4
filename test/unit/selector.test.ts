// Selectors: every field, any-of lists, labels, versionBelow, and what the schema refuses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SelectorSchema, matchesSelector, type PlannableCluster, type Selector } from '../../domain/selector';

const cluster: PlannableCluster = {
  id: 'kafka-aws-001',
  kind: 'kafka',
  cloud: 'aws',
  region: 'us-east-1',
  environment: 'customer',
  tier: 'dedicated',
  version: '3.6.0',
  labels: { team: 'core', ring: '1' },
};

void describe('matchesSelector', () => {
  const cases: { name: string; selector: Selector; cluster?: PlannableCluster; matches: boolean }[] = [
    { name: 'the selector is empty', selector: {}, matches: true },
    { name: 'ids lists the cluster', selector: { ids: ['other', 'kafka-aws-001'] }, matches: true },
    { name: 'ids is the cluster id as a string', selector: { ids: 'kafka-aws-001' }, matches: true },
    { name: 'ids does not list the cluster', selector: { ids: ['other'] }, matches: false },
    { name: 'excludeIds lists the cluster', selector: { excludeIds: ['kafka-aws-001'] }, matches: false },
    { name: 'excludeIds lists other clusters', selector: { excludeIds: 'other' }, matches: true },
    { name: 'kind matches', selector: { kind: 'kafka' }, matches: true },
    { name: 'kind differs', selector: { kind: 'ksqldb' }, matches: false },
    { name: 'kind is a list containing it', selector: { kind: ['connect', 'kafka'] }, matches: true },
    { name: 'cloud matches', selector: { cloud: 'aws' }, matches: true },
    { name: 'cloud differs', selector: { cloud: ['gcp', 'azure'] }, matches: false },
    { name: 'region matches', selector: { region: ['eu-west-1', 'us-east-1'] }, matches: true },
    { name: 'region differs', selector: { region: 'eu-west-1' }, matches: false },
    { name: 'environment matches', selector: { environment: 'customer' }, matches: true },
    { name: 'environment differs', selector: { environment: 'internal' }, matches: false },
    { name: 'tier matches', selector: { tier: ['basic', 'dedicated'] }, matches: true },
    { name: 'tier differs', selector: { tier: 'basic' }, matches: false },
    {
      name: 'tier is asked for and the cluster has none',
      selector: { tier: 'dedicated' },
      cluster: { ...cluster, tier: null },
      matches: false,
    },
    { name: 'every label matches', selector: { labels: { team: 'core', ring: '1' } }, matches: true },
    { name: 'one label value differs', selector: { labels: { team: 'core', ring: '2' } }, matches: false },
    { name: 'a label is missing on the cluster', selector: { labels: { owner: 'x' } }, matches: false },
    { name: 'a label is named like an Object member', selector: { labels: { constructor: 'x' } }, matches: false },
    { name: 'the version is below versionBelow', selector: { versionBelow: '3.7.1' }, matches: true },
    { name: 'the version equals versionBelow', selector: { versionBelow: '3.6.0' }, matches: false },
    { name: 'the version is above versionBelow', selector: { versionBelow: '3.5.9' }, matches: false },
    {
      name: 'the version is a prerelease of versionBelow',
      selector: { versionBelow: '3.7.1' },
      cluster: { ...cluster, version: '3.7.1-rc.1' },
      matches: true,
    },
    {
      name: 'versionBelow is a prerelease of the version',
      selector: { versionBelow: '3.6.0-rc.1' },
      matches: false,
    },
    {
      name: 'every field matches',
      selector: { kind: 'kafka', cloud: 'aws', environment: 'customer', tier: 'dedicated', versionBelow: '4.0.0' },
      matches: true,
    },
    {
      name: 'all fields but one match',
      selector: { kind: 'kafka', cloud: 'aws', environment: 'customer', region: 'eu-west-1' },
      matches: false,
    },
    {
      name: 'ids and excludeIds both name the cluster',
      selector: { ids: 'kafka-aws-001', excludeIds: 'kafka-aws-001' },
      matches: false,
    },
  ];
  for (const c of cases) {
    void it(`when ${c.name}, then the cluster ${c.matches ? 'matches' : 'does not match'}`, () => {
      assert.equal(matchesSelector(c.cluster ?? cluster, c.selector), c.matches);
    });
  }
});

void describe('SelectorSchema', () => {
  const accepted: [string, unknown][] = [
    ['an empty selector', {}],
    ['scalar fields', { kind: 'kafka', cloud: 'gcp', versionBelow: '3.7.1' }],
    ['list fields', { ids: ['a', 'b'], region: ['us-east-1'], tier: ['basic'] }],
    ['a prerelease versionBelow', { versionBelow: '3.7.1-rc.1' }],
  ];
  for (const [name, input] of accepted) {
    void it(`when given ${name}, then it is accepted`, () => {
      assert.equal(SelectorSchema.safeParse(input).success, true);
    });
  }

  const rejected: [string, unknown][] = [
    ['an unknown field', { kinds: 'kafka' }],
    ['an empty list', { cloud: [] }],
    ['an empty string', { kind: '' }],
    ['a number', { tier: 1 }],
    ['a bad semver in versionBelow', { versionBelow: '3.7' }],
    ['a non-string label value', { labels: { team: 1 } }],
  ];
  for (const [name, input] of rejected) {
    void it(`when given ${name}, then it is rejected`, () => {
      assert.equal(SelectorSchema.safeParse(input).success, false);
    });
  }
});
