// Which errors mean a dependency is unavailable (a 503 the caller may retry) rather than a bug (a 500).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConnectionError } from '../../db/pool';
import { isTemporalUnavailable } from '../../api/temporal-errors';

const withCode = (message: string, code: unknown, cause?: Error) =>
  Object.assign(new Error(message, cause ? { cause } : undefined), { code });

void describe('isTemporalUnavailable', () => {
  const cases: [string, Error, boolean][] = [
    ['UNAVAILABLE (14)', withCode('14 UNAVAILABLE: connect ECONNREFUSED', 14), true],
    ['DEADLINE_EXCEEDED (4)', withCode('4 DEADLINE_EXCEEDED', 4), true],
    [
      'RESOURCE_EXHAUSTED (8), a namespace rate limit',
      withCode('8 RESOURCE_EXHAUSTED: namespace rate limit exceeded', 8),
      true,
    ],
    ['a wrapped RESOURCE_EXHAUSTED', new Error('start failed', { cause: withCode('8 RESOURCE_EXHAUSTED', 8) }), true],
    ['NOT_FOUND (5) for the namespace', withCode('5 NOT_FOUND: Namespace default is not found.', 5), true],
    ['NOT_FOUND (5) for something else', withCode('5 NOT_FOUND: workflow execution not found', 5), false],
    ['INVALID_ARGUMENT (3)', withCode('3 INVALID_ARGUMENT', 3), false],
    ['a plain error', new Error('boom'), false],
  ];
  for (const [name, err, expected] of cases) {
    void it(`when the client fails with ${name}, then unavailable is ${expected}`, () =>
      assert.equal(isTemporalUnavailable(err), expected));
  }
});

void describe('isConnectionError', () => {
  const cases: [string, Error, boolean][] = [
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    ['53300 too many connections', withCode('sorry, too many clients already', '53300'), true],
    ['57P01 admin shutdown', withCode('terminating connection due to administrator command', '57P01'), true],
    ['23505 unique violation', withCode('duplicate key value violates unique constraint', '23505'), false],
  ];
  for (const [name, err, expected] of cases) {
    void it(`when PostgreSQL fails with ${name}, then unavailable is ${expected}`, () =>
      assert.equal(isConnectionError(err), expected));
  }
});
