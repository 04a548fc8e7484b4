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
import { z } from 'zod';
import { type AlarmReading, type AlarmSpec } from '../domain/alarms';
import { holds, type ComparisonOp } from '../domain/comparison';
import { abortReason } from './cancellation';

export class AlarmSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmSourceError';
  }
}

const MAX_MESSAGE = 500;
const MAX_QUOTED = 300;

/** One line, at most `max` characters. */
const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

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

interface Sample {
  labels: Record<string, string> | null;
  value: number;
}

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

/** The network cause, e.g. `connect ECONNREFUSED 127.0.0.1:9090` or `UND_ERR_SOCKET: other side closed`. */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' && cause.message ? cause.message : undefined;
  if (code && message) return message.includes(code) ? message : `${code}: ${message}`;
  return code ?? message ?? (err instanceof Error ? err.message : String(err));
}

/** The source's own words from an error body: Prometheus' `errorType: error`, `{ message }`, `{ error }` or text. */
function sourceMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errorType?: unknown; error?: unknown; message?: unknown };
    if (typeof body.error === 'string') {
      const kind = typeof body.errorType === 'string' && body.errorType ? `${body.errorType}: ` : '';
      return oneLine(`${kind}${body.error}`, MAX_QUOTED);
    }
    if (typeof body.message === 'string') return oneLine(body.message, MAX_QUOTED);
    const nested = (body.error as { message?: unknown } | null | undefined)?.message;
    if (typeof nested === 'string') return oneLine(nested, MAX_QUOTED);
  } catch {
    // not JSON: the text itself is the best we have
  }
  return oneLine(text, MAX_QUOTED) || '(empty body)';
}

/** A Prometheus sample value: a decimal string, or NaN / +Inf / -Inf. */
function parseSampleValue(text: string): number | null {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

const formatValue = (value: number) =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);

/** Prometheus' own notation: `name{a="b"}`, `{a="b"}`, `{}` for no labels; nothing for a scalar. */
function formatLabels(labels: Record<string, string> | null): string {
  if (!labels) return '';
  const { __name__: name = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length || !name ? `${name}{${pairs.join(',')}}` : name;
}

const sampleText = (sample: Sample) =>
  [formatValue(sample.value), formatLabels(sample.labels)].filter((part) => part !== '').join(' ');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which extreme of the samples matters for `op`: the largest for > and >=, the smallest for < and <=. */
function extreme(samples: Sample[], op: ComparisonOp): { label: string; sample: Sample } | null {
  const numbers = samples.filter((s) => !Number.isNaN(s.value));
  if (numbers.length === 0) return null;
  const lowest = op === '<' || op === '<=';
  const pick = numbers.reduce((best, s) => ((lowest ? s.value < best.value : s.value > best.value) ? s : best));
  return { label: lowest ? 'min' : 'max', sample: pick };
}

/** The reading of the samples a query returned, against `fireWhen`. */
function judgeSamples(samples: Sample[], fireWhen: { op: ComparisonOp; value: number }): AlarmReading {
  const condition = `${fireWhen.op} ${formatValue(fireWhen.value)}`;
  if (samples.length === 0) return { firing: false, message: 'empty result: not firing' };
  const matching = samples.filter((s) => holds(s.value, fireWhen.op, fireWhen.value));
  if (matching.length > 0) {
    const worst = extreme(matching, fireWhen.op)!;
    const shown = fireWhen.op === '==' ? sampleText(worst.sample) : `${worst.label} ${sampleText(worst.sample)}`;
    return {
      firing: true,
      message: oneLine(
        `${matching.length} of ${plural(samples.length, 'sample')} ${condition} (${shown})`,
        MAX_MESSAGE,
      ),
    };
  }
  let seen: string;
  if (samples.length === 1) {
    seen = `1 sample: ${sampleText(samples[0]!)}`;
  } else {
    const top = extreme(samples, fireWhen.op === '==' ? '>' : fireWhen.op);
    const bottom = fireWhen.op === '==' ? extreme(samples, '<') : null;
    const range = !top
      ? 'all NaN'
      : bottom
        ? `min ${sampleText(bottom.sample)}, max ${sampleText(top.sample)}`
        : `${top.label} ${sampleText(top.sample)}`;
    seen = `${samples.length} samples, ${range}`;
  }
  return { firing: false, message: oneLine(`no sample ${condition} (${seen})`, MAX_MESSAGE) };
}

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
        MAX_MESSAGE,
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
    const message = parsed.data.message ? oneLine(parsed.data.message, MAX_MESSAGE) : '';
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
