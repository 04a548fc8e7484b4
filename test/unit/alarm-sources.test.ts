// Alarms: what an alarm spec accepts, how one evaluation is judged, and the sources read over real HTTP against
// the demo signals server (scripts/lib/demo-signals.ts) on 127.0.0.1.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AlarmSourceError, createAlarmSources } from '../../adapters/alarm-sources';
import {
  AlarmIntervalSecondsSchema,
  AlarmSpecSchema,
  AlarmsSchema,
  DEFAULT_ALARM_INTERVAL_SECONDS,
  judgeAlarm,
  type AlarmSpec,
} from '../../domain/alarms';
import { startDemoSignals, type DemoSignals } from '../../scripts/lib/demo-signals';

const promSpec = (patch: Record<string, unknown> = {}): AlarmSpec =>
  AlarmSpecSchema.parse({
    name: 'fleet-errors',
    type: 'prometheus',
    url: 'http://prometheus:9090',
    query: 'kafka_errors_total',
    ...patch,
  });
const httpSpec = (patch: Record<string, unknown> = {}): AlarmSpec =>
  AlarmSpecSchema.parse({ name: 'slo', type: 'http', url: 'http://slo.internal/alarm', ...patch });

/** A fetch that answers `body` (JSON unless a string) with `status`, and records the URLs it was asked for. */
function cannedFetch(body: unknown, status = 200): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const fake = (input: string | URL | Request) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return Promise.resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }));
  };
  return { fetch: fake, urls };
}

const vector = (...samples: [Record<string, string>, string][]) => ({
  status: 'success',
  data: { resultType: 'vector', result: samples.map(([metric, v]) => ({ metric, value: [1732500000.123, v] })) },
});

/** Reads `spec` against a canned answer. */
const readCanned = (body: unknown, spec: AlarmSpec = promSpec(), status = 200) =>
  createAlarmSources({ fetch: cannedFetch(body, status).fetch }).read(spec);

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('AlarmSpecSchema', () => {
  it('when a prometheus alarm gives only name, url and query, then the documented defaults are filled in', () => {
    assert.deepEqual(promSpec(), {
      name: 'fleet-errors',
      type: 'prometheus',
      url: 'http://prometheus:9090',
      query: 'kafka_errors_total',
      fireWhen: { op: '>', value: 0 },
      failAfterErrors: 3,
      timeoutMs: 5000,
    });
    assert.deepEqual(httpSpec(), {
      name: 'slo',
      type: 'http',
      url: 'http://slo.internal/alarm',
      failAfterErrors: 3,
      timeoutMs: 5000,
    });
  });

  const accepted: [string, unknown][] = [
    [
      'the documented prometheus example',
      {
        name: 'fleet-errors',
        type: 'prometheus',
        url: 'http://prometheus:9090',
        query: 'sum(rate(kafka_errors_total[5m]))',
        fireWhen: { op: '>', value: 0 },
      },
    ],
    ['the documented http example', { name: 'slo', type: 'http', url: 'http://slo.internal/alarm' }],
    ['an https url with a path prefix', { name: 'p', type: 'http', url: 'https://mon.example.com/prom/alarm?x=1' }],
    ...(['<', '<=', '==', '>=', '>'] as const).map((op): [string, unknown] => [
      `fireWhen ${op} a negative fraction`,
      { name: 'a', type: 'prometheus', url: 'http://p', query: 'up', fireWhen: { op, value: -0.5 } },
    ]),
    ['failAfterErrors and timeoutMs at their low bounds', { ...httpSpec(), failAfterErrors: 1, timeoutMs: 100 }],
    ['failAfterErrors and timeoutMs at their high bounds', { ...httpSpec(), failAfterErrors: 100, timeoutMs: 60_000 }],
    ['a name of 63 characters with dots, dashes and underscores', { ...httpSpec(), name: `a.b-c_${'x'.repeat(57)}` }],
    ['a query of 4000 characters', { ...promSpec(), query: 'x'.repeat(4000) }],
  ];
  for (const [what, spec] of accepted) {
    it(`when given ${what}, then it is accepted`, () => {
      const parsed = AlarmSpecSchema.safeParse(spec);
      assert.ok(parsed.success, parsed.error?.message);
    });
  }

  const rejected: [string, unknown, string][] = [
    ['an unknown type', { name: 'a', type: 'datadog', url: 'http://d' }, 'type'],
    ['no type', { name: 'a', url: 'http://d' }, 'type'],
    ['an upper-case name', { ...httpSpec(), name: 'SLO' }, 'name'],
    ['a name starting with a dash', { ...httpSpec(), name: '-slo' }, 'name'],
    ['a name of 64 characters', { ...httpSpec(), name: 'a'.repeat(64) }, 'name'],
    ['an ftp url', { ...httpSpec(), url: 'ftp://slo.internal/alarm' }, 'url'],
    ['a url that is not one', { ...httpSpec(), url: 'slo.internal/alarm' }, 'url'],
    ['a url with credentials', { ...httpSpec(), url: 'http://user:secret@slo.internal/alarm' }, 'url'],
    ['a prometheus alarm without query', { name: 'a', type: 'prometheus', url: 'http://p' }, 'query'],
    ['an empty query', { ...promSpec(), query: '' }, 'query'],
    ['a query of 4001 characters', { ...promSpec(), query: 'x'.repeat(4001) }, 'query'],
    ['an http alarm with a query', { ...httpSpec(), query: 'up' }, ''],
    ['an unknown field', { ...promSpec(), severity: 'high' }, ''],
    ['fireWhen with an unknown op', { ...promSpec(), fireWhen: { op: '!=', value: 0 } }, 'fireWhen.op'],
    ['fireWhen without a value', { ...promSpec(), fireWhen: { op: '>' } }, 'fireWhen.value'],
    ['fireWhen with an infinite value', { ...promSpec(), fireWhen: { op: '>', value: Infinity } }, 'fireWhen.value'],
    ['fireWhen with NaN', { ...promSpec(), fireWhen: { op: '>', value: NaN } }, 'fireWhen.value'],
    ['fireWhen with a string value', { ...promSpec(), fireWhen: { op: '>', value: '0' } }, 'fireWhen.value'],
    ['fireWhen with an extra key', { ...promSpec(), fireWhen: { op: '>', value: 0, for: '5m' } }, 'fireWhen'],
    ['failAfterErrors 0', { ...httpSpec(), failAfterErrors: 0 }, 'failAfterErrors'],
    ['failAfterErrors 101', { ...httpSpec(), failAfterErrors: 101 }, 'failAfterErrors'],
    ['a fractional failAfterErrors', { ...httpSpec(), failAfterErrors: 1.5 }, 'failAfterErrors'],
    ['timeoutMs 99', { ...httpSpec(), timeoutMs: 99 }, 'timeoutMs'],
    ['timeoutMs 60001', { ...httpSpec(), timeoutMs: 60_001 }, 'timeoutMs'],
  ];
  for (const [what, spec, path] of rejected) {
    it(`when given ${what}, then it is refused at '${path}'`, () => {
      const parsed = AlarmSpecSchema.safeParse(spec);
      assert.equal(parsed.success, false);
      assert.ok(
        parsed.error.issues.some((issue) => issue.path.join('.') === path),
        `issues: ${JSON.stringify(parsed.error.issues)}`,
      );
    });
  }
});

describe('AlarmsSchema and AlarmIntervalSecondsSchema', () => {
  it('when no alarms are given, then the empty list is accepted', () => {
    assert.deepEqual(AlarmsSchema.parse([]), []);
  });

  it('when 20 alarms with distinct names are given, then they are accepted; 21 are refused', () => {
    const alarms = (n: number) => Array.from({ length: n }, (_, i) => ({ ...httpSpec(), name: `a${i}` }));
    assert.equal(AlarmsSchema.parse(alarms(20)).length, 20);
    assert.equal(AlarmsSchema.safeParse(alarms(21)).success, false);
  });

  it('when two alarms share a name, then the second is refused at its name', () => {
    const parsed = AlarmsSchema.safeParse([httpSpec(), promSpec(), { ...promSpec(), name: 'slo' }]);
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error.issues.map((issue) => [issue.path, issue.message]),
      [[[2, 'name'], "alarm name 'slo' is used twice"]],
    );
  });

  it('when an interval is given, then 0.1 to 3600 seconds are accepted, fractions included', () => {
    for (const ok of [0.1, 0.5, DEFAULT_ALARM_INTERVAL_SECONDS, 3600])
      assert.ok(AlarmIntervalSecondsSchema.safeParse(ok).success);
    for (const bad of [0, 0.05, 3601, -1, NaN, '30'])
      assert.equal(AlarmIntervalSecondsSchema.safeParse(bad).success, false);
  });
});

describe('judgeAlarm', () => {
  const spec = promSpec();
  const cases: {
    what: string;
    previous: number;
    outcome: Parameters<typeof judgeAlarm>[2];
    spec?: AlarmSpec;
    expect: ReturnType<typeof judgeAlarm>;
  }[] = [
    {
      what: 'when the source reads firing after two errors, then it fires and the error count resets',
      previous: 2,
      outcome: { ok: true, reading: { firing: true, message: '1 of 1 sample > 0 (max 3)' } },
      expect: { firing: true, message: '1 of 1 sample > 0 (max 3)', consecutiveErrors: 0 },
    },
    {
      what: 'when the source reads not firing, then it is not firing',
      previous: 0,
      outcome: { ok: true, reading: { firing: false, message: 'empty result: not firing' } },
      expect: { firing: false, message: 'empty result: not firing', consecutiveErrors: 0 },
    },
    {
      what: 'when the source fails once of three allowed, then it is not firing yet and says so',
      previous: 0,
      outcome: { ok: false, error: 'prometheus http://p unreachable: ECONNREFUSED' },
      expect: {
        firing: false,
        message: 'source error 1/3: prometheus http://p unreachable: ECONNREFUSED',
        consecutiveErrors: 1,
      },
    },
    {
      what: 'when the source fails a second time, then it is still not firing',
      previous: 1,
      outcome: { ok: false, error: 'boom' },
      expect: { firing: false, message: 'source error 2/3: boom', consecutiveErrors: 2 },
    },
    {
      what: 'when the source fails the third time in a row, then it fires (fail safe)',
      previous: 2,
      outcome: { ok: false, error: 'boom' },
      expect: { firing: true, message: 'source failed 3 times in a row (fail safe): boom', consecutiveErrors: 3 },
    },
    {
      what: 'when the source keeps failing past the threshold, then it keeps firing and counting',
      previous: 5,
      outcome: { ok: false, error: 'boom' },
      expect: { firing: true, message: 'source failed 6 times in a row (fail safe): boom', consecutiveErrors: 6 },
    },
    {
      what: 'when failAfterErrors is 1, then the first error fires',
      previous: 0,
      spec: promSpec({ failAfterErrors: 1 }),
      outcome: { ok: false, error: 'boom' },
      expect: { firing: true, message: 'source failed 1 time in a row (fail safe): boom', consecutiveErrors: 1 },
    },
  ];
  for (const c of cases) {
    it(c.what, () => assert.deepEqual(judgeAlarm(c.spec ?? spec, c.previous, c.outcome), c.expect));
  }

  it('when the error is very long, then the message is cut to 500 characters', () => {
    const verdict = judgeAlarm(spec, 0, { ok: false, error: 'x'.repeat(2000) });
    assert.equal(verdict.message.length, 500);
    assert.ok(verdict.message.startsWith('source error 1/3: xxx'));
  });
});

describe('alarm sources against the demo signals server', () => {
  let signals: DemoSignals;
  const sources = createAlarmSources();
  const prom = (patch: Record<string, unknown> = {}) => promSpec({ url: signals.url, ...patch });
  const alarm = (name: string, patch: Record<string, unknown> = {}) =>
    httpSpec({ url: `${signals.url}/alarms/${name}`, ...patch });

  before(async () => {
    signals = await startDemoSignals();
  });
  after(() => signals.close());

  it('when the metric is above 0, then the prometheus alarm is firing and names the sample', async () => {
    signals.setMetric('kafka_errors_total', 4.5);
    assert.deepEqual(await sources.read(prom()), {
      firing: true,
      message: '1 of 1 sample > 0 (max 4.5 kafka_errors_total)',
    });
    assert.deepEqual(signals.requests.at(-1), { method: 'GET', path: '/api/v1/query?query=kafka_errors_total' });
  });

  it('when the metric is 0, then the prometheus alarm is not firing and shows what it saw', async () => {
    signals.setMetric('kafka_errors_total', 0);
    assert.deepEqual(await sources.read(prom()), {
      firing: false,
      message: 'no sample > 0 (1 sample: 0 kafka_errors_total)',
    });
  });

  it('when fireWhen is "< 10" and the metric is 3, then the alarm is firing', async () => {
    signals.setMetric('free_disk_percent', 3);
    const reading = await sources.read(prom({ query: 'free_disk_percent', fireWhen: { op: '<', value: 10 } }));
    assert.deepEqual(reading, { firing: true, message: '1 of 1 sample < 10 (min 3 free_disk_percent)' });
  });

  it('when the metric is NaN, then no comparison holds and the alarm is not firing', async () => {
    signals.setMetric('kafka_errors_total', NaN);
    const reading = await sources.read(prom({ fireWhen: { op: '<', value: 1 } }));
    assert.deepEqual(reading, { firing: false, message: 'no sample < 1 (1 sample: NaN kafka_errors_total)' });
  });

  it('when the metric is +Inf, then it satisfies "> 1e9"', async () => {
    signals.setMetric('kafka_errors_total', Infinity);
    const reading = await sources.read(prom({ fireWhen: { op: '>', value: 1e9 } }));
    assert.deepEqual(reading, { firing: true, message: '1 of 1 sample > 1000000000 (max +Inf kafka_errors_total)' });
  });

  it('when the query has no samples, then the alarm is not firing', async () => {
    signals.setMetric('kafka_errors_total', null);
    assert.deepEqual(await sources.read(prom()), { firing: false, message: 'empty result: not firing' });
  });

  it('when Prometheus refuses the query, then the error names the status and its errorType and error', async () => {
    await assert.rejects(
      sources.read(prom({ query: 'sum(rate(kafka_errors_total[5m]))' })),
      (err: unknown) =>
        err instanceof AlarmSourceError &&
        err.name === 'AlarmSourceError' &&
        err.message.startsWith(`prometheus ${signals.url} answered 400: bad_data: invalid parameter "query"`),
    );
  });

  it('when a fault is set for one request, then one read fails with its status and the next succeeds', async () => {
    signals.setMetric('kafka_errors_total', 1);
    signals.setFault({ status: 503, times: 1 });
    await assert.rejects(sources.read(prom()), {
      name: 'AlarmSourceError',
      message: `prometheus ${signals.url} answered 503: unavailable: demo fault injected (503)`,
    });
    assert.equal((await sources.read(prom())).firing, true);
  });

  it('when the http alarm is set firing, then it reads firing with its message', async () => {
    signals.setAlarm('slo', { firing: true, message: 'error budget burning 14x' });
    assert.deepEqual(await sources.read(alarm('slo')), { firing: true, message: 'error budget burning 14x' });
  });

  it('when the http alarm is set not firing without a message, then it reads not firing', async () => {
    signals.setAlarm('slo', { firing: false });
    assert.deepEqual(await sources.read(alarm('slo')), { firing: false, message: 'not firing' });
  });

  it('when the http alarm was never set, then it reads not firing and says so', async () => {
    assert.deepEqual(await sources.read(alarm('never-set')), {
      firing: false,
      message: 'no alarm named never-set set',
    });
  });

  it('when the http alarm route answers 404, then the error has the status and the source message', async () => {
    await assert.rejects(sources.read(httpSpec({ url: `${signals.url}/nowhere` })), {
      name: 'AlarmSourceError',
      message: `alarm source ${signals.url}/nowhere answered 404: no route GET /nowhere`,
    });
  });

  it('when the url has a query string, then the error names the source without it', async () => {
    signals.setFault({ status: 500, times: 1 });
    await assert.rejects(
      sources.read(alarm('slo', { url: `${signals.url}/alarms/slo?token=secret` })),
      (err: Error) => {
        assert.equal(err.message, `alarm source ${signals.url}/alarms/slo answered 500: demo fault injected (500)`);
        return true;
      },
    );
  });

  it('when the caller aborts, then the abort reason is thrown, not a source error', async () => {
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    controller.abort(reason);
    await assert.rejects(sources.read(prom(), controller.signal), (err: unknown) => err === reason);
  });
});

describe('alarm sources that fail', () => {
  const sources = createAlarmSources();

  it('when nothing listens on the port, then the error says unreachable with the network cause', async () => {
    const port = await freePort();
    await assert.rejects(
      sources.read(promSpec({ url: `http://127.0.0.1:${port}` })),
      (err: unknown) =>
        err instanceof AlarmSourceError &&
        err.message.startsWith(`prometheus http://127.0.0.1:${port} unreachable: `) &&
        err.message.includes('ECONNREFUSED'),
    );
  });

  it('when the source never answers, then the error says it did not answer within timeoutMs', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/alarm`;
    try {
      const started = Date.now();
      await assert.rejects(sources.read(httpSpec({ url, timeoutMs: 150 })), {
        name: 'AlarmSourceError',
        message: `alarm source ${url} did not answer within 150 ms`,
      });
      assert.ok(Date.now() - started < 2000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('when the body is not JSON, then the error quotes it', async () => {
    await assert.rejects(readCanned('<html>oops</html>'), {
      name: 'AlarmSourceError',
      message: 'prometheus http://prometheus:9090 answered with a body that is not JSON: "<html>oops</html>"',
    });
  });

  it('when the http alarm body lacks "firing", then the error names the field', async () => {
    await assert.rejects(readCanned({ status: 'ok' }, httpSpec()), (err: Error) => {
      assert.ok(err instanceof AlarmSourceError);
      assert.match(err.message, /^alarm source http:\/\/slo\.internal\/alarm answered with a body that is not/);
      assert.match(err.message, /\(firing: /);
      assert.match(err.message, /\{"status":"ok"\}$/);
      return true;
    });
  });

  it('when the Prometheus body has an unknown resultType, then it is a source error', async () => {
    await assert.rejects(readCanned({ status: 'success', data: { resultType: 'table', result: [] } }), {
      name: 'AlarmSourceError',
    });
  });

  it('when Prometheus answers 200 with status "error", then it is a source error with errorType and error', async () => {
    await assert.rejects(
      readCanned({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }),
      {
        name: 'AlarmSourceError',
        message:
          'prometheus http://prometheus:9090 reported an error: timeout: query timed out in expression evaluation',
      },
    );
  });

  it('when a sample value is not a number, then it is a source error', async () => {
    await assert.rejects(readCanned(vector([{}, 'lots'])), {
      name: 'AlarmSourceError',
      message: 'prometheus http://prometheus:9090 answered a sample value that is not a number: "lots"',
    });
  });

  it('when the source answers 500 with a long multi-line body, then the message is one line of at most 500', async () => {
    await assert.rejects(readCanned(`panic:\n${'stack frame\n'.repeat(200)}`, promSpec(), 500), (err: Error) => {
      assert.ok(err instanceof AlarmSourceError);
      assert.ok(!err.message.includes('\n'));
      assert.ok(err.message.length <= 500, `${err.message.length} characters`);
      assert.ok(err.message.startsWith('prometheus http://prometheus:9090 answered 500: panic: stack frame'));
      return true;
    });
  });
});

describe('Prometheus result types', () => {
  it('when 2 of 3 series exceed 0, then the alarm fires and names the largest with its labels', async () => {
    const body = vector(
      [{ __name__: 'errors', instance: 'a' }, '0'],
      [{ __name__: 'errors', instance: 'b' }, '4.5'],
      [{ __name__: 'errors', instance: 'c' }, '2'],
    );
    assert.deepEqual(await readCanned(body), {
      firing: true,
      message: '2 of 3 samples > 0 (max 4.5 errors{instance="b"})',
    });
  });

  it('when no series of three exceeds 0, then it is not firing and shows the largest', async () => {
    const body = vector([{ instance: 'a' }, '0'], [{ instance: 'b' }, '-1'], [{ instance: 'c' }, 'NaN']);
    assert.deepEqual(await readCanned(body), {
      firing: false,
      message: 'no sample > 0 (3 samples, max 0 {instance="a"})',
    });
  });

  it('when every sample is NaN, then it is not firing and says so', async () => {
    const body = vector([{}, 'NaN'], [{}, 'NaN']);
    assert.deepEqual(await readCanned(body), { firing: false, message: 'no sample > 0 (2 samples, all NaN)' });
  });

  it('when fireWhen is "==" and no sample equals, then it shows the range', async () => {
    const body = vector([{}, '1'], [{}, '4']);
    const reading = await readCanned(body, promSpec({ fireWhen: { op: '==', value: 2 } }));
    assert.deepEqual(reading, { firing: false, message: 'no sample == 2 (2 samples, min 1 {}, max 4 {})' });
  });

  it('when the result is a scalar, then its value decides', async () => {
    const scalar = (v: string) => ({ status: 'success', data: { resultType: 'scalar', result: [1732500000, v] } });
    assert.deepEqual(await readCanned(scalar('7')), { firing: true, message: '1 of 1 sample > 0 (max 7)' });
    assert.deepEqual(await readCanned(scalar('0')), { firing: false, message: 'no sample > 0 (1 sample: 0)' });
  });

  it('when the result is a matrix, then each series is judged by its last value', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { pod: 'x' },
            values: [
              [1, '9'],
              [2, '0'],
            ],
          },
          {
            metric: { pod: 'y' },
            values: [
              [1, '0'],
              [2, '3'],
            ],
          },
          { metric: { pod: 'z' }, values: [] },
        ],
      },
    };
    assert.deepEqual(await readCanned(body), { firing: true, message: '1 of 2 samples > 0 (max 3 {pod="y"})' });
  });

  it('when the result is a string, then it is a source error asking for numbers', async () => {
    const body = { status: 'success', data: { resultType: 'string', result: [1, 'hello'] } };
    await assert.rejects(readCanned(body), {
      message:
        "prometheus http://prometheus:9090 answered a string, not numbers: the alarm's query must return numeric samples",
    });
  });

  it('when the url has a path prefix, then the query goes under it, encoded', async () => {
    const canned = cannedFetch(vector());
    await createAlarmSources({ fetch: canned.fetch }).read(
      promSpec({ url: 'https://mon.example.com/prom/', query: 'sum(rate(x[5m])) > 0' }),
    );
    assert.deepEqual(canned.urls, [
      'https://mon.example.com/prom/api/v1/query?query=sum%28rate%28x%5B5m%5D%29%29+%3E+0',
    ]);
  });
});

describe('demo signals server over HTTP', () => {
  let signals: DemoSignals;
  before(async () => {
    signals = await startDemoSignals();
  });
  after(() => signals.close());

  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${signals.url}${path}`, { method, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('when an alarm and a metric are PUT with curl-style bodies, then the read routes answer them', async () => {
    assert.equal((await call('PUT', '/alarms/slo', '{"firing":true,"message":"burning"}')).status, 200);
    assert.deepEqual((await call('GET', '/alarms/slo')).body, { firing: true, message: 'burning' });
    assert.equal((await call('PUT', '/metrics/lag_seconds', '{"value":3}')).status, 200);
    const answer = await call('GET', '/api/v1/query?query=lag_seconds');
    assert.equal(answer.status, 200);
    assert.deepEqual((answer.body.data as any).result[0].metric, { __name__: 'lag_seconds' });
    assert.equal((answer.body.data as any).result[0].value[1], '3');
    assert.equal((await call('PUT', '/metrics/lag_seconds', '{"value":null}')).status, 200);
    assert.deepEqual((await call('GET', '/api/v1/query?query=lag_seconds')).body, {
      status: 'success',
      data: { resultType: 'vector', result: [] },
    });
  });

  const badBodies: [string, string, string | undefined, number][] = [
    ['a metric body that is not JSON', '/metrics/m', 'three', 400],
    ['a metric value that is a string', '/metrics/m', '{"value":"3"}', 400],
    ['a metric body without value', '/metrics/m', '{}', 400],
    ['a metric name that Prometheus would refuse', '/metrics/9lives', '{"value":1}', 400],
    ['an alarm without firing', '/alarms/slo', '{"message":"x"}', 400],
    ['an alarm with an unknown field', '/alarms/slo', '{"firing":true,"severity":"high"}', 400],
    ['an empty body', '/alarms/slo', undefined, 400],
    ['a fault with a status out of range', '/fault', '{"status":42}', 400],
  ];
  for (const [what, path, body, status] of badBodies) {
    it(`when PUT ${path} gets ${what}, then it answers ${status} with a JSON error`, async () => {
      const answer = await call('PUT', path, body);
      assert.equal(answer.status, status);
      assert.equal(typeof answer.body.error, 'string');
    });
  }

  it('when a read route is called with the wrong method, then it answers 405', async () => {
    assert.equal((await call('POST', '/api/v1/query?query=up')).status, 405);
  });

  it('when a fault is PUT for two reads, then exactly two reads answer it', async () => {
    assert.equal((await call('PUT', '/fault', '{"status":502,"times":2}')).status, 200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/alarms/slo')).status);
    assert.deepEqual(statuses, [502, 502, 200]);
  });

  it('when GET / is called, then it lists what is set and the routes', async () => {
    signals.setMetric('up', 1);
    const answer = await call('GET', '/');
    assert.equal(answer.status, 200);
    assert.equal((answer.body.metrics as Record<string, string>).up, '1');
    assert.ok(Array.isArray(answer.body.routes));
  });

  it('when the port is taken, then starting a second server on it rejects with EADDRINUSE', async () => {
    const port = Number(new URL(signals.url).port);
    await assert.rejects(startDemoSignals({ port }), { code: 'EADDRINUSE' });
  });
});
