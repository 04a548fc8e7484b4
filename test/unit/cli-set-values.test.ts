// `clusters patch --set key=value`: how an assignment is read and how assignments become a PATCH body.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { foldAssignments, needsCurrent, parseAssignment, parseValue, setOption } from '../../cli/set-values';

describe('parseValue', () => {
  const cases: [string, unknown][] = [
    ['100', 100],
    ['-1.5', -1.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['{"a":1}', { a: 1 }],
    ['["x","y"]', ['x', 'y']],
    ['"007"', '007'],
    ['core', 'core'],
    ['3.7.1', '3.7.1'],
    ['', ''],
    ['a=b', 'a=b'],
    ['{not json', '{not json'],
  ];
  for (const [raw, expected] of cases) {
    test(`when the value is ${JSON.stringify(raw)}, then it is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseValue(raw), expected);
    });
  }
});

describe('parseAssignment', () => {
  test('when the key has no dots, then it is one top-level field with a JSON-or-text value', () => {
    assert.deepEqual(parseAssignment('tier=dedicated'), { path: ['tier'], value: 'dedicated' });
    assert.deepEqual(parseAssignment('tier=null'), { path: ['tier'], value: null });
    assert.deepEqual(parseAssignment('version=3.7.1'), { path: ['version'], value: '3.7.1' });
  });

  test('when the key has dots, then they nest', () => {
    assert.deepEqual(parseAssignment('adapter.config.applyMs=100'), {
      path: ['adapter', 'config', 'applyMs'],
      value: 100,
    });
    assert.deepEqual(parseAssignment('adapter.config.failApply=true'), {
      path: ['adapter', 'config', 'failApply'],
      value: true,
    });
  });

  test('when the value holds an =, then only the first = splits key from value', () => {
    assert.deepEqual(parseAssignment('name=a=b'), { path: ['name'], value: 'a=b' });
  });

  test('when the key is under labels, then the rest is one label key and the value stays text', () => {
    assert.deepEqual(parseAssignment('labels.team=core'), { path: ['labels', 'team'], value: 'core' });
    assert.deepEqual(parseAssignment('labels.build=123'), { path: ['labels', 'build'], value: '123' });
    assert.deepEqual(parseAssignment('labels.app.kubernetes.io/name=kafka'), {
      path: ['labels', 'app.kubernetes.io/name'],
      value: 'kafka',
    });
  });

  test('when labels is set whole, then its value is JSON like any other', () => {
    assert.deepEqual(parseAssignment('labels={"team":"core"}'), { path: ['labels'], value: { team: 'core' } });
  });

  const bad: [string, RegExp][] = [
    ['tier', /expected key=value/],
    ['=x', /expected key=value/],
    ['adapter..config=1', /empty field name/],
    ['adapter.config.=1', /empty field name/],
    ['.tier=x', /empty field name/],
    ['__proto__.polluted=1', /'__proto__' cannot be a field name/],
    ['adapter.constructor.prototype=1', /cannot be a field name/],
    ['labels.__proto__=x', /'__proto__' cannot be a field name/],
  ];
  for (const [text, message] of bad) {
    test(`when the assignment is ${JSON.stringify(text)}, then it is a usage error`, () => {
      assert.throws(
        () => parseAssignment(text),
        (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      );
    });
  }

  test('when --set repeats, then the assignments are collected in order', () => {
    const collected = setOption('b=2', setOption('a=1'));
    assert.deepEqual(collected, [
      { path: ['a'], value: 1 },
      { path: ['b'], value: 2 },
    ]);
  });
});

describe('foldAssignments', () => {
  const current = {
    id: 'c-1',
    tier: 'basic',
    labels: { team: 'search', customer: 'acme' },
    adapter: { type: 'simulated', config: { applyMs: 200, brokers: 3 } },
  };
  const sets = (...texts: string[]) => texts.map(parseAssignment);

  test('when top-level fields are set, then the body holds exactly them', () => {
    assert.deepEqual(foldAssignments({}, sets('tier=dedicated', 'name=Kafka 1')), {
      tier: 'dedicated',
      name: 'Kafka 1',
    });
  });

  test('when a label is set, then the body carries every current label with that one changed', () => {
    assert.deepEqual(foldAssignments({}, sets('labels.team=core', 'labels.tier=gold'), current), {
      labels: { team: 'core', customer: 'acme', tier: 'gold' },
    });
  });

  test('when an adapter config field is set, then the whole adapter is sent with its type and other settings', () => {
    assert.deepEqual(foldAssignments({}, sets('adapter.config.applyMs=100'), current), {
      adapter: { type: 'simulated', config: { applyMs: 100, brokers: 3 } },
    });
  });

  test('when the file gives the field, then a dotted --set merges into the file, not the current cluster', () => {
    const file = { labels: { owner: 'ops' }, tier: 'standard' };
    assert.deepEqual(foldAssignments(file, sets('labels.team=core', 'tier=gold'), current), {
      labels: { owner: 'ops', team: 'core' },
      tier: 'gold',
    });
    assert.deepEqual(file, { labels: { owner: 'ops' }, tier: 'standard' }, 'the file data is not changed');
  });

  test('when the field does not exist anywhere, then it is built from nothing', () => {
    assert.deepEqual(foldAssignments({}, sets('adapter.config.applyMs=5')), { adapter: { config: { applyMs: 5 } } });
  });

  test('when a nested path crosses a scalar, then the scalar is replaced by an object', () => {
    assert.deepEqual(foldAssignments({ adapter: { type: 'simulated', config: 7 } }, sets('adapter.config.x=1')), {
      adapter: { type: 'simulated', config: { x: 1 } },
    });
  });

  test('when the same field is set twice, then the later one wins', () => {
    assert.deepEqual(foldAssignments({}, sets('tier=a', 'tier=b')), { tier: 'b' });
  });

  test('when the current cluster is read, then it is not changed by the fold', () => {
    const before = structuredClone(current);
    foldAssignments({}, sets('labels.team=core', 'adapter.config.applyMs=1'), current);
    assert.deepEqual(current, before);
  });
});

describe('needsCurrent', () => {
  const sets = (...texts: string[]) => texts.map(parseAssignment);
  const cases: [string, Record<string, unknown>, string[], boolean][] = [
    ['only top-level fields', {}, ['tier=a', 'labels={}'], false],
    ['a label, with no labels given', {}, ['labels.team=core'], true],
    ['a label, with labels in the file', { labels: {} }, ['labels.team=core'], false],
    ['a label after labels was set whole', {}, ['labels={"a":"b"}', 'labels.team=core'], false],
    ['a label before labels is set whole', {}, ['labels.team=core', 'labels={"a":"b"}'], true],
    ['an adapter setting', { tier: 'x' }, ['adapter.config.applyMs=1'], true],
  ];
  for (const [what, base, texts, expected] of cases) {
    test(`when ${what}, then the current cluster is ${expected ? '' : 'not '}read`, () => {
      assert.equal(needsCurrent(base, sets(...texts)), expected);
    });
  }
});
