// Alarm sources: one evaluation of an operation's alarm (domain/alarms.ts) over HTTP, as a reading or an
// AlarmSourceError that says in one line what went wrong. Counting errors in a row is the caller's job
// (judgeAlarm), so a source that fails is never a reading here.
//
// - prometheus: `GET {url}/api/v1/query?query=…` (Prometheus' HTTP API). Results of type vector, scalar and
//   matrix (each series' last value) are read; firing when any sample satisfies `fireWhen`, and an empty result
//   is not firing. Sample values are strings; "NaN", "+Inf" and "-Inf" read as Prometheus means them, and NaN
//   satisfies no comparison. `status: "error"` is a source error.
// - http: `GET {url}` answers `{ "firing": boolean, "message"?: string }`.
//
// Errors: unreachable (with the network cause), no answer within `timeoutMs` (body included), non-2xx (status
// and the source's own message), a body that is not JSON or not the documented shape. When the caller's signal
// aborts, its reason is thrown instead, so a cancelled activity stays cancelled. Messages name the source by
// its URL without query string and never repeat the alarm's name: AlarmStatus carries it.
// What the samples mean (values, the reading against fireWhen) is pure and lives in domain/prometheus-samples.ts.
import { z } from 'zod';
import { type AlarmReading, type AlarmSpec } from '../domain/alarms';
import {
  judgeSamples,
  MAX_READING_MESSAGE,
  oneLine,
  parseSampleValue,
  type Sample,
} from '../domain/prometheus-samples';
import { abortReason } from './cancellation';
import { bodyWords, networkCause } from './remote-errors';

export class AlarmSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmSourceError';
  }
}

const MAX_QUOTED = 300;

// Lenient on extra fields (Prometheus adds warnings, infos, stats), strict on what decides the outcome.
const SamplePairSchema = z.tuple([z.number(), z.string()]);
const LabelsSchema = z.record(z.string(), z.string());
const PrometheusSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: LabelsSchema, value: SamplePairSchema.optional() })),
      }),
      z.object({ resultType: z.literal('scalar'), result: SamplePairSchema }),
      z.object({
        resultType: z.literal('matrix'),
        result: z.array(z.object({ metric: LabelsSchema, values: z.array(SamplePairSchema).optional() })),
      }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().nullish(), error: z.string().nullish() }),
]);
const HttpAlarmSchema = z.object({ firing: z.boolean(), message: z.string().nullish() });

/** The source as messages name it: its URL without credentials, query string or fragment. */
function describeSource(spec: AlarmSpec): string {
  const url = new URL(spec.url);
  const shown = `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
  return spec.type === 'prometheus' ? `prometheus ${shown}` : `alarm source ${shown}`;
}

function requestUrl(spec: AlarmSpec): string {
  if (spec.type === 'http') return spec.url;
  const url = new URL(spec.url);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.searchParams.set('query', spec.query);
  return url.toString();
}

/** The source's own words from an error body, on one line. */
const sourceMessage = (text: string) => oneLine(bodyWords(text), MAX_QUOTED) || '(empty body)';

export interface AlarmSourcesDeps {
  fetch?: typeof fetch;
}

export interface AlarmSources {
  /** One evaluation of `spec`: a reading, or AlarmSourceError; the abort reason when `signal` aborts. */
  read(spec: AlarmSpec, signal?: AbortSignal): Promise<AlarmReading>;
}

export function createAlarmSources({ fetch: fetchImpl = globalThis.fetch }: AlarmSourcesDeps = {}): AlarmSources {
  /** The body of a 2xx answer, parsed as JSON. */
  async function getJson(spec: AlarmSpec, source: string, signal: AbortSignal | undefined): Promise<unknown> {
    if (signal?.aborted) throw abortReason(signal);
    const timeout = AbortSignal.timeout(spec.timeoutMs);
    let status: number;
    let text: string;
    try {
      // The timeout covers reading the body too: a source that sends headers and then stalls is down.
      const res = await fetchImpl(requestUrl(spec), {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (timeout.aborted) throw new AlarmSourceError(`${source} did not answer within ${spec.timeoutMs} ms`);
      throw new AlarmSourceError(`${source} unreachable: ${oneLine(networkCause(err), MAX_QUOTED)}`);
    }
    if (status < 200 || status >= 300)
      throw new AlarmSourceError(`${source} answered ${status}: ${sourceMessage(text)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AlarmSourceError(
        `${source} answered with a body that is not JSON: ${oneLine(JSON.stringify(text), MAX_QUOTED)}`,
      );
    }
  }

  function unexpected(source: string, expected: string, error: z.ZodError, body: unknown): AlarmSourceError {
    const issue = error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unexpected shape';
    return new AlarmSourceError(
      oneLine(
        `${source} answered with a body that is not ${expected} (${where}): ${oneLine(JSON.stringify(body), MAX_QUOTED)}`,
        MAX_READING_MESSAGE,
      ),
    );
  }

  async function readPrometheus(
    spec: Extract<AlarmSpec, { type: 'prometheus' }>,
    signal: AbortSignal | undefined,
  ): Promise<AlarmReading> {
    const source = describeSource(spec);
    const body = await getJson(spec, source, signal);
    const parsed = PrometheusSchema.safeParse(body);
    if (!parsed.success) throw unexpected(source, 'a Prometheus query answer', parsed.error, body);
    const answer = parsed.data;
    if (answer.status === 'error') {
      const kind = answer.errorType ? `${answer.errorType}: ` : '';
      throw new AlarmSourceError(
        `${source} reported an error: ${oneLine(`${kind}${answer.error ?? '(no message)'}`, MAX_QUOTED)}`,
      );
    }

    const samples: Sample[] = [];
    const add = (labels: Record<string, string> | null, [, text]: [number, string]) => {
      const value = parseSampleValue(text);
      if (value === null) {
        throw new AlarmSourceError(
          `${source} answered a sample value that is not a number: ${oneLine(JSON.stringify(text), 100)}`,
        );
      }
      samples.push({ labels, value });
    };
    const data = answer.data;
    switch (data.resultType) {
      case 'vector':
        for (const series of data.result) {
          if (!series.value) throw noNumbers(source, 'a native histogram');
          add(series.metric, series.value);
        }
        break;
      case 'scalar':
        add(null, data.result);
        break;
      case 'matrix':
        // A range query's series: the last value is the latest one.
        for (const series of data.result) {
          if (!series.values) throw noNumbers(source, 'a native histogram');
          const last = series.values.at(-1);
          if (last) add(series.metric, last);
        }
        break;
      case 'string':
        throw noNumbers(source, 'a string');
    }
    return judgeSamples(samples, spec.fireWhen);
  }

  function noNumbers(source: string, what: string): AlarmSourceError {
    return new AlarmSourceError(
      `${source} answered ${what}, not numbers: the alarm's query must return numeric samples`,
    );
  }

  async function readHttp(
    spec: Extract<AlarmSpec, { type: 'http' }>,
    signal: AbortSignal | undefined,
  ): Promise<AlarmReading> {
    const source = describeSource(spec);
    const body = await getJson(spec, source, signal);
    const parsed = HttpAlarmSchema.safeParse(body);
    if (!parsed.success) throw unexpected(source, '{ "firing": boolean, "message"?: string }', parsed.error, body);
    const message = parsed.data.message ? oneLine(parsed.data.message, MAX_READING_MESSAGE) : '';
    return {
      firing: parsed.data.firing,
      message: message || (parsed.data.firing ? 'firing (the source gave no message)' : 'not firing'),
    };
  }

  return {
    read(spec, signal) {
      return spec.type === 'prometheus' ? readPrometheus(spec, signal) : readHttp(spec, signal);
    },
  };
}
