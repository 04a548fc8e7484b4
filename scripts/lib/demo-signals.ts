// A demo alarm source for `npm run dev` and the tests: a tiny Prometheus look-alike and an http alarm endpoint on
// 127.0.0.1, both settable from code or with curl. It answers only what an operation's alarms read
// (domain/alarms.ts); it is no Prometheus.
//
// Read routes (what alarms point at):
//   GET /api/v1/query?query=<metric name>  Prometheus' answer: a vector of one sample labelled {__name__: <name>}
//                                          when the metric is set, an empty vector when not; a query that is not
//                                          a bare metric name → 400 {"status":"error","errorType":"bad_data",…}
//   GET /alarms/<name>                     {"firing": …, "message": …}; an alarm never set is not firing
// Write routes (what a demo flips):
//   PUT /metrics/<name>   {"value": 3}  or {"value": null} to clear it
//   PUT /alarms/<name>    {"firing": true, "message": "…"}  (message optional)
//   PUT /fault            {"status": 503, "times": 2}  the next `times` reads (default: all) answer `status`;
//                         null clears it
//   GET /                 what is set, and these routes
//
//   curl -X PUT http://127.0.0.1:7355/alarms/slo -d '{"firing":true,"message":"error budget burning"}'
//   curl -X PUT http://127.0.0.1:7355/metrics/kafka_errors_total -d '{"value":3}'
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoAlarm {
  firing: boolean;
  message?: string;
}

export interface DemoFault {
  status: number;
  /** How many read requests answer `status`; all of them until cleared when omitted. */
  times?: number;
}

export interface DemoSignals {
  url: string;
  /** Sets a metric the query route answers; null clears it (the query then answers an empty vector). */
  setMetric(name: string, value: number | null): void;
  setAlarm(name: string, alarm: DemoAlarm): void;
  /** Makes the next `times` (default: all) requests to the read routes answer `status`; null clears it. */
  setFault(fault: DemoFault | null): void;
  /** Every request received, in order; `path` includes the query string. */
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MAX_NAME = 200;
const MAX_BODY = 64 * 1024;

const ROUTES = [
  'GET /api/v1/query?query=<metric name>',
  'GET /alarms/<name>',
  'PUT /metrics/<name> {"value": <number> | null}',
  'PUT /alarms/<name> {"firing": <boolean>, "message"?: <string>}',
  'PUT /fault {"status": <100-599>, "times"?: <n>} | null',
];

/** Prometheus writes sample values as strings, with NaN and ±Inf spelled its own way. */
const promValue = (value: number) =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest(`body larger than ${MAX_BODY} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new BadRequest('empty body: send JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest(`body is not JSON: ${JSON.stringify(text.slice(0, 100))}`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw new BadRequest(`unknown field ${extra.map((k) => `"${k}"`).join(', ')}`);
}

function parseMetricBody(body: unknown): number | null {
  if (!isRecord(body) || !('value' in body)) throw new BadRequest('body must be {"value": <number> | null}');
  checkKeys(body, ['value']);
  if (body.value === null) return null;
  if (typeof body.value !== 'number') throw new BadRequest('"value" must be a number or null');
  return body.value;
}

function parseAlarmBody(body: unknown): DemoAlarm {
  if (!isRecord(body) || typeof body.firing !== 'boolean')
    throw new BadRequest('body must be {"firing": <boolean>, "message"?: <string>}');
  checkKeys(body, ['firing', 'message']);
  if (body.message !== undefined && typeof body.message !== 'string')
    throw new BadRequest('"message" must be a string');
  return { firing: body.firing, ...(body.message === undefined ? {} : { message: body.message }) };
}

function parseFaultBody(body: unknown): DemoFault | null {
  if (body === null) return null;
  if (!isRecord(body)) throw new BadRequest('body must be {"status": <100-599>, "times"?: <n>} or null');
  checkKeys(body, ['status', 'times']);
  const { status, times } = body;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    throw new BadRequest('"status" must be an HTTP status (100-599)');
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1))
    throw new BadRequest('"times" must be a positive integer');
  return { status, ...(times === undefined ? {} : { times }) };
}

function nameFrom(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`name ${JSON.stringify(segment)} is not valid URL encoding`);
  }
  if (!name || name.length > MAX_NAME) throw new BadRequest(`a name is 1-${MAX_NAME} characters`);
  return name;
}

/** Starts the server on 127.0.0.1 (`port` 0, the default, picks a free one); rejects when the port is taken. */
export async function startDemoSignals({ port = 0 }: { port?: number } = {}): Promise<DemoSignals> {
  const metrics = new Map<string, number>();
  const alarms = new Map<string, DemoAlarm>();
  const requests: DemoSignals['requests'] = [];
  let fault: DemoFault | null = null;

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const promError = (res: http.ServerResponse, status: number, errorType: string, error: string) =>
    send(res, status, { status: 'error', errorType, error });

  /** The injected fault's status, when this read should answer it. */
  const takeFault = (): number | null => {
    if (!fault) return null;
    const { status, times } = fault;
    if (times !== undefined) {
      fault = times > 1 ? { status, times: times - 1 } : null;
      if (times < 1) return null;
    }
    return status;
  };

  function query(res: http.ServerResponse, params: URLSearchParams): void {
    const faulted = takeFault();
    if (faulted !== null) return promError(res, faulted, 'unavailable', `demo fault injected (${faulted})`);
    const expr = params.get('query')?.trim() ?? '';
    if (!expr) return promError(res, 400, 'bad_data', 'invalid parameter "query": no expression found in input');
    if (!METRIC_NAME.test(expr)) {
      return promError(
        res,
        400,
        'bad_data',
        `invalid parameter "query": the demo signals server answers bare metric names only (e.g. kafka_errors_total), not ${JSON.stringify(expr)}`,
      );
    }
    const value = metrics.get(expr);
    const result =
      value === undefined ? [] : [{ metric: { __name__: expr }, value: [Date.now() / 1000, promValue(value)] }];
    send(res, 200, { status: 'success', data: { resultType: 'vector', result } });
  }

  function readAlarm(res: http.ServerResponse, name: string): void {
    const faulted = takeFault();
    if (faulted !== null) return send(res, faulted, { error: `demo fault injected (${faulted})` });
    const alarm = alarms.get(name);
    send(res, 200, alarm ?? { firing: false, message: `no alarm named ${name} set` });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://demo');
    requests.push({ method, path: `${url.pathname}${url.search}` });
    const segments = url.pathname.split('/').filter(Boolean);
    const only = (allowed: string) => {
      if (method === allowed) return true;
      send(res, 405, { error: `use ${allowed} on ${url.pathname}` }, { allow: allowed });
      return false;
    };

    if (segments.length === 0) {
      if (!only('GET')) return;
      return send(res, 200, {
        metrics: Object.fromEntries([...metrics].map(([k, v]) => [k, promValue(v)])),
        alarms: Object.fromEntries(alarms),
        fault,
        routes: ROUTES,
      });
    }
    if (url.pathname === '/api/v1/query') {
      if (!only('GET')) return;
      return query(res, url.searchParams);
    }
    if (segments.length === 2 && segments[0] === 'alarms') {
      const name = nameFrom(segments[1]!);
      if (method === 'GET') return readAlarm(res, name);
      if (!only('PUT')) return;
      const alarm = parseAlarmBody(await readJson(req));
      alarms.set(name, alarm);
      return send(res, 200, { name, ...alarm });
    }
    if (segments.length === 2 && segments[0] === 'metrics') {
      if (!only('PUT')) return;
      const name = nameFrom(segments[1]!);
      if (!METRIC_NAME.test(name)) throw new BadRequest(`metric name must match ${METRIC_NAME.source}`);
      const value = parseMetricBody(await readJson(req));
      if (value === null) metrics.delete(name);
      else metrics.set(name, value);
      return send(res, 200, { name, value });
    }
    if (url.pathname === '/fault') {
      if (!only('PUT')) return;
      fault = parseFaultBody(await readJson(req));
      return send(res, 200, { fault });
    }
    send(res, 404, { error: `no route ${method} ${url.pathname}`, routes: ROUTES });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BadRequest) send(res, err.status, { error: err.message });
      else send(res, 500, { error: `demo signals server bug: ${String(err)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setMetric(name, value) {
      if (value === null) metrics.delete(name);
      else metrics.set(name, value);
    },
    setAlarm(name, alarm) {
      alarms.set(name, { ...alarm });
    },
    setFault(next) {
      fault = next ? { ...next } : null;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
