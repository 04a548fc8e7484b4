// CLI input files: YAML/JSON parsing, local validation with the domain schemas, and where errors point.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../cli/errors';
import { clusterPatchFrom, clustersFrom, formatPath, operationSpecFrom, parseDataText } from '../../cli/spec-file';

/** The InputError a call throws, so a test can read its message and detail lines. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an InputError');
}

const spec = (waves: string) =>
  [
    'name: kafka-3.7.1',
    'action: { type: upgrade, targetVersion: 3.7.1 }',
    'selector: { kind: kafka }',
    'waves:',
    waves,
    '',
  ].join('\n');

const cluster = (id: string) =>
  `- { id: ${id}, name: n, kind: kafka, cloud: aws, region: us-east-1, environment: customer, version: 3.6.0 }`;

void describe('formatPath', () => {
  const cases: [PropertyKey[], string][] = [
    [[], '(top level)'],
    [['name'], 'name'],
    [['waves', 0, 'maxParallel'], 'waves[0].maxParallel'],
    [['clusters', 3, 'labels', 'team'], 'clusters[3].labels.team'],
  ];
  for (const [path, text] of cases) {
    test(`when the path is ${JSON.stringify(path)}, then it reads ${text}`, () => assert.equal(formatPath(path), text));
  }
});

void describe('operation spec files', () => {
  test('when a YAML spec is valid, then the body is what the file says, without defaults added', () => {
    const body = operationSpecFrom(parseDataText(spec('  - { name: internal, maxParallel: 5 }'), 'spec.yaml'));
    assert.deepEqual(body.waves, [{ name: 'internal', maxParallel: 5 }]);
    assert.equal(body.defaults, undefined);
  });

  test('when a field is out of range, then the error names the file, its line and the field path', () => {
    const err = inputError(() =>
      operationSpecFrom(parseDataText(spec('  - name: internal\n    maxParallel: 5000'), 'spec.yaml')),
    );
    assert.equal(err.exitCode, 2);
    assert.equal(err.message, 'spec.yaml is not a valid operation spec:');
    assert.match(err.details[0]!, /^spec\.yaml:6: waves\[0\]\.maxParallel: /);
  });

  test('when a key is unknown, then the error points at the line of that key', () => {
    const err = inputError(() =>
      operationSpecFrom(parseDataText(spec('  - name: internal\n    colour: blue'), 'spec.yaml')),
    );
    assert.match(err.details[0]!, /^spec\.yaml:6: waves\[0\]: .*"colour"/);
  });

  test('when a JSON spec is invalid, then lines are told for JSON too', () => {
    const text = JSON.stringify(
      { name: 'x', action: { type: 'upgrade', targetVersion: 'latest' }, selector: {} },
      null,
      2,
    );
    const err = inputError(() => operationSpecFrom(parseDataText(text, 'spec.json')));
    assert.match(err.details[0]!, /^spec\.json:5: action\.targetVersion: must be a semantic version/);
  });

  test('when the YAML does not parse, then the error gives line and column', () => {
    const err = inputError(() => parseDataText('name: x\naction: [1\n', 'spec.yaml'));
    assert.match(err.message, /^spec\.yaml:3:1: not valid YAML: /);
  });

  test('when the JSON does not parse, then the error gives the line', () => {
    const err = inputError(() => parseDataText('{\n"name": "x",\n}', 'spec.json'));
    assert.match(err.message, /^spec\.json:3: not valid JSON: /);
  });

  test('when the file is empty, then it says so', () => {
    assert.equal(inputError(() => parseDataText('\n', 'spec.yaml')).message, 'spec.yaml is empty');
  });
});

void describe('cluster files', () => {
  test('when the file is a list, then its clusters are returned as written', () => {
    const clusters = clustersFrom(parseDataText([cluster('a-1'), cluster('a-2')].join('\n'), 'fleet.yaml'));
    assert.deepEqual(
      clusters.map((c) => c.id),
      ['a-1', 'a-2'],
    );
    assert.equal(clusters[0]!.labels, undefined);
  });

  test('when the file is { clusters: [...] }, then errors carry the clusters prefix', () => {
    const text = `clusters:\n${[cluster('a-1'), cluster('A_2')].map((l) => `  ${l}`).join('\n')}\n`;
    const err = inputError(() => clustersFrom(parseDataText(text, 'fleet.yaml')));
    assert.match(err.details[0]!, /^fleet\.yaml:3: clusters\[1\]\.id: must match/);
  });

  test('when an id appears twice, then both places are named', () => {
    const err = inputError(() =>
      clustersFrom(parseDataText([cluster('a-1'), cluster('a-1')].join('\n'), 'fleet.yaml')),
    );
    assert.equal(err.details[0], "fleet.yaml:2: [1].id: 'a-1' is also [0]");
  });

  test('when the file is neither a list nor { clusters }, then it is refused', () => {
    assert.match(
      inputError(() => clustersFrom(parseDataText('just text', 'fleet.yaml'))).message,
      /give a list of clusters/,
    );
    const wrongKey = inputError(() => clustersFrom(parseDataText('nodes: []', 'fleet.yaml')));
    assert.ok(
      wrongKey.details.some((d) => /Unrecognized key: "nodes"/.test(d)),
      wrongKey.details.join('\n'),
    );
  });

  test('when the list is empty, then it says no clusters are listed', () => {
    assert.match(
      inputError(() => clustersFrom(parseDataText('[]', 'fleet.yaml'))).details[0]!,
      /the file lists no clusters/,
    );
  });
});

void describe('clusterPatchFrom', () => {
  test('when the patch is valid, then it is sent as written', () => {
    const text = 'name: Acme Kafka\nlabels: { team: core }\ntier: null\n';
    assert.deepEqual(clusterPatchFrom(parseDataText(text, 'patch.yaml')), {
      name: 'Acme Kafka',
      labels: { team: 'core' },
      tier: null,
    });
  });

  test('when a field is unknown or of the wrong type, then each problem names its line', () => {
    const err = inputError(() =>
      clusterPatchFrom(parseDataText('name: x\ncolour: red\nlabels: { team: 5 }\n', 'patch.yaml')),
    );
    assert.match(err.message, /^patch\.yaml is not a valid cluster patch:$/);
    assert.ok(
      err.details.some((d) => /^patch\.yaml:2: .*colour/.test(d)),
      err.details.join('\n'),
    );
    assert.ok(
      err.details.some((d) => /^patch\.yaml:3: labels\.team: /.test(d)),
      err.details.join('\n'),
    );
  });

  test('when the file is a list, then it asks for an object of fields', () => {
    const err = inputError(() => clusterPatchFrom(parseDataText('- a\n', 'patch.yaml')));
    assert.match(err.message, /give an object of the fields to change/);
  });
});
