// CLI rendering and parsing helpers: tables, durations, payloads, plan and status text, progress lines, errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiErrorFrom, ApiClient, parseBaseUrl } from '../../cli/client';
import { clusterQuery } from '../../cli/commands/clusters';
import { intOption, labelOption } from '../../cli/context';
import { ApiError, EXIT, formatError, InputError } from '../../cli/errors';
import { formatDuration, formatTime, summarizePayload, table } from '../../cli/render';
import {
  approvalHint,
  finalLine,
  pauseHint,
  planSummary,
  progressLine,
  statusSummary,
} from '../../cli/render-operations';
import type { OperationStatus, RunCounts } from '../../cli/types';
import { emptyCounts } from '../../domain/operation-status';

const counts = (c: Partial<RunCounts> = {}): RunCounts => ({ ...emptyCounts(), ...c });

function status(overrides: Partial<OperationStatus> = {}): OperationStatus {
  return {
    id: 'kafka-3.7.1-a1b2c3',
    name: 'kafka-3.7.1',
    state: 'running',
    action: { type: 'upgrade', targetVersion: '3.7.1' },
    startedBy: 'olga',
    createdAt: '2026-01-02T03:04:05.678Z',
    currentWave: 1,
    pendingApproval: null,
    pauseReason: null,
    error: null,
    note: null,
    counts: counts({ total: 4, succeeded: 1, running: 1, pending: 2 }),
    inFlight: [{ clusterId: 'c-2', wave: 1, state: 'applying', startedAt: '2026-01-02T03:04:06Z' }],
    waves: [
      {
        number: 1,
        name: 'internal',
        size: 2,
        state: 'running',
        counts: counts({ total: 2, succeeded: 1, running: 1 }),
        approval: 'none',
        approvedBy: null,
      },
      {
        number: 2,
        name: 'customers',
        size: 2,
        state: 'pending',
        counts: counts({ total: 2, pending: 2 }),
        approval: 'manual',
        approvedBy: null,
      },
    ],
    ...overrides,
  };
}

void describe('table', () => {
  test('when rows are rendered, then columns align, empty cells show -, and no line ends in spaces', () => {
    assert.equal(
      table(
        ['ID', 'TIER'],
        [
          ['a-long-id', null],
          ['b', 'gold'],
        ],
      ),
      'ID         TIER\na-long-id  -\nb          gold',
    );
  });
});

void describe('formatDuration and formatTime', () => {
  const cases: [number, string][] = [
    [0, '-'],
    [0.5, '0.5s'],
    [10, '10s'],
    [90, '1m30s'],
    [600, '10m'],
    [7200, '2h'],
    [3661, '1h1m1s'],
  ];
  for (const [seconds, text] of cases) {
    test(`when a wave bakes ${seconds}s, then it shows ${text}`, () => assert.equal(formatDuration(seconds), text));
  }
  test('when a time is given, then it shows UTC to the second; missing shows -', () => {
    assert.equal(formatTime('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05Z');
    assert.equal(formatTime(null), '-');
  });
});

void describe('summarizePayload', () => {
  test('when the payload has scalars and objects, then scalars come first and objects are abbreviated', () => {
    assert.equal(
      summarizePayload({ request: { name: 'kafka', x: 1 }, total: 4, ids: ['a', 'b'], extra: { a: 1 } }),
      'total=4 request.name=kafka ids=[2] extra={…}',
    );
  });
  test('when the payload is long, then it is cut with an ellipsis', () => {
    const line = summarizePayload({ reason: 'x'.repeat(200) }, 20);
    assert.equal(line.length, 20);
    assert.ok(line.endsWith('…'));
  });
  test('when the payload is empty, then nothing is shown', () => assert.equal(summarizePayload({}), ''));
});

void describe('planSummary', () => {
  test('when a plan is shown, then each wave is a row and the totals and skip reasons follow', () => {
    const text = planSummary({
      total: 3,
      waves: [
        {
          number: 1,
          name: 'internal',
          clusterIds: ['a', 'b'],
          maxParallel: 5,
          maxFailures: 0,
          bakeSeconds: 0,
          approval: 'none',
        },
        { number: 2, name: 'canary', size: 1, maxParallel: 1, maxFailures: 1, bakeSeconds: 600, approval: 'manual' },
      ],
      skipped: [{ clusterId: 'c', reason: 'already_at_target' }],
      emptyWaves: ['typo'],
    });
    assert.match(text, /^1\s+internal\s+2\s+5\s+0\s+-\s+none$/m);
    assert.match(text, /^2\s+canary\s+1\s+1\s+1\s+10m\s+manual$/m);
    assert.match(text, /^total: 3 clusters in 2 waves$/m);
    assert.match(text, /^skipped: 1 \(already_at_target: 1\)$/m);
    assert.match(text, /^declared waves that matched no cluster: typo$/m);
  });
});

void describe('operation status text', () => {
  test('when a wave runs, then the progress line shows the wave and the whole operation', () => {
    assert.equal(
      progressLine(status()),
      'running | wave 1/2 internal running: 1/2 done, 1 succeeded, 0 failed, 1 in flight | total 1/4 done: 1 succeeded, 0 failed, 1 in flight',
    );
  });

  test('when no wave is current, then the progress line shows the operation only, with rolled back and skipped when any', () => {
    const line = progressLine(
      status({
        state: 'failed',
        currentWave: null,
        counts: counts({ total: 4, succeeded: 2, rolled_back: 1, skipped: 1 }),
      }),
    );
    assert.equal(line, 'failed | total 4/4 done: 2 succeeded, 0 failed, 1 rolled back, 1 skipped, 0 in flight');
  });

  test('when a wave awaits approval, then the hint is the exact approve command', () => {
    assert.equal(
      approvalHint(status({ pendingApproval: { wave: 2 } })),
      'waiting for approval of wave 2: fleetwave approve kafka-3.7.1-a1b2c3 --wave 2',
    );
    assert.equal(approvalHint(status()), null);
  });

  test('when paused, then the hint names the reason and how to resume or cancel', () => {
    assert.equal(
      pauseHint(status({ state: 'paused', pauseReason: 'failure_budget_exceeded' })),
      'paused (failure_budget_exceeded): continue with fleetwave resume kafka-3.7.1-a1b2c3, or stop with fleetwave cancel kafka-3.7.1-a1b2c3',
    );
    assert.equal(pauseHint(status()), null);
  });

  test('when an alarm paused it, then the hint says resume waits for the alarm and the summary lists every alarm', () => {
    const paused = status({
      state: 'paused',
      pauseReason: 'alarm:slo',
      alarms: [
        {
          name: 'slo',
          firing: true,
          message: 'error budget burning',
          checkedAt: '2026-01-02T03:05:00Z',
          errorsInARow: 0,
        },
        { name: 'errors', firing: false, message: 'not evaluated yet', checkedAt: null, errorsInARow: 0 },
      ],
    });
    assert.equal(
      pauseHint(paused),
      'paused (alarm:slo): continue with fleetwave resume kafka-3.7.1-a1b2c3 once the alarm no longer fires, or stop with fleetwave cancel kafka-3.7.1-a1b2c3',
    );
    const text = statusSummary(paused);
    assert.match(text, /^alarm slo: FIRING — error budget burning \(checked 2026-01-02T03:05:00Z\)$/m);
    assert.match(text, /^alarm errors: ok — not evaluated yet$/m);
  });

  test('when the summary is shown, then it has the header, a row per wave, the hints and the in-flight clusters', () => {
    const text = statusSummary(status({ pendingApproval: { wave: 2 }, note: 'counts are exact' }));
    assert.match(text, /^state\s+running, wave 1 of 2$/m);
    assert.match(text, /^action\s+upgrade to 3\.7\.1$/m);
    assert.match(text, /^started\s+2026-01-02T03:04:05Z by olga$/m);
    assert.match(text, /^1\s+internal\s+running\s+2\s+1\s+0\s+0\s+0\s+1\s+0\s+none$/m);
    assert.match(text, /^2\s+customers\s+pending\s+2\s+0\s+0\s+0\s+0\s+0\s+2\s+manual$/m);
    assert.match(text, /^waiting for approval of wave 2: /m);
    assert.match(text, /^note: counts are exact$/m);
    assert.match(text, /^c-2\s+1\s+applying\s+2026-01-02T03:04:06Z$/m);
  });

  test('when the status has a forecast, then the header gives the expected end and the waits it leaves out', () => {
    const forecast = { expectedEndAt: '2026-01-02T04:00:00Z', unknownWaits: ['approval:wave-2'] };
    assert.match(statusSummary(status({ forecast })), /^expected end\s+2026-01-02T04:00:00Z, plus approval:wave-2$/m);
    assert.doesNotMatch(statusSummary(status({ forecast: null })), /expected end/);
  });

  test('when it has ended, then the final line gives every count', () => {
    assert.equal(
      finalLine(status({ state: 'completed', counts: counts({ total: 4, succeeded: 3, skipped: 1 }) })),
      'operation kafka-3.7.1-a1b2c3 completed: 3 succeeded, 0 failed, 0 rolled back, 1 skipped of 4',
    );
  });
});

void describe('API errors and exit codes', () => {
  const cases: [number, number][] = [
    [400, EXIT.rejected],
    [404, EXIT.rejected],
    [409, EXIT.rejected],
    [401, EXIT.denied],
    [403, EXIT.denied],
    [500, EXIT.unavailable],
    [503, EXIT.unavailable],
  ];
  for (const [httpStatus, exit] of cases) {
    test(`when the API answers ${httpStatus}, then the exit code is ${exit}`, () =>
      assert.equal(apiErrorFrom(httpStatus, '{}').exitCode, exit));
  }

  test('when the API sends its error body, then code, message and details are printed', () => {
    const err = apiErrorFrom(
      400,
      JSON.stringify({
        error: {
          code: 'validation_failed',
          message: 'the request is not valid',
          details: [
            { path: 'waves.0.name', message: 'bad' },
            { path: '', message: 'whole body' },
          ],
        },
      }),
    );
    assert.deepEqual(formatError(err), [
      'error: validation_failed: the request is not valid',
      '  waves.0.name: bad',
      '  whole body',
    ]);
  });

  test('when the answer is not the API error shape, then its status and text are shown', () => {
    const err = apiErrorFrom(502, '<html>Bad Gateway</html>');
    assert.equal(err.code, 'http_502');
    assert.equal(err.message, '<html>Bad Gateway</html>');
  });

  test('when the token is refused, then a hint says how to pass one', () => {
    assert.deepEqual(formatError(new ApiError(401, 'unauthorized', 'a valid bearer token is required')), [
      'error: unauthorized: a valid bearer token is required',
      'hint: pass a valid token with --token or FLEETWAVE_TOKEN',
    ]);
  });
});

void describe('argument and URL parsing', () => {
  test('when the URL is not http(s), then it is a usage error', () => {
    assert.throws(() => parseBaseUrl('localhost:8080'), InputError);
    assert.throws(() => parseBaseUrl('nope'), InputError);
    assert.equal(parseBaseUrl('https://fleet.example.com/api').pathname, '/api');
  });

  test('when the base URL has a path prefix, then request paths are appended to it and the query encoded', () => {
    const client = new ApiClient({ baseUrl: 'http://proxy:8080/fleetwave/' });
    assert.equal(
      client.url('/v1/clusters', { 'label.team': 'core ops', limit: 5, cursor: undefined }),
      'http://proxy:8080/fleetwave/v1/clusters?label.team=core+ops&limit=5',
    );
  });

  test('when labels are given, then they become label.<key> filters', () => {
    assert.deepEqual(clusterQuery({ cloud: 'gcp', label: { team: 'core', 'app/tier': 'a=b' } }), {
      cloud: 'gcp',
      environment: undefined,
      kind: undefined,
      region: undefined,
      tier: undefined,
      limit: undefined,
      cursor: undefined,
      'label.team': 'core',
      'label.app/tier': 'a=b',
    });
  });

  test('when --label is repeated, then values collect and a value may contain =', () => {
    assert.deepEqual(labelOption('b=c=d', labelOption('a=1')), { a: '1', b: 'c=d' });
    assert.throws(() => labelOption('novalue'), /expected key=value/);
  });

  test('when a number option is out of range or not whole, then it is refused', () => {
    assert.equal(intOption(1, 10)('7'), 7);
    for (const bad of ['0', '11', '1.5', 'x', '-1']) assert.throws(() => intOption(1, 10)(bad), /whole number/);
  });
});
