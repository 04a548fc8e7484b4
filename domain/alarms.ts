// An operation's alarms: outside signals evaluated periodically while it runs; a firing alarm pauses the rollout.
//
//   "alarms": [
//     { "name": "fleet-errors", "type": "prometheus", "url": "http://prometheus:9090",
//       "query": "sum(rate(kafka_errors_total[5m]))", "fireWhen": { "op": ">", "value": 0 } },
//     { "name": "slo", "type": "http", "url": "http://slo.internal/alarm" }
//   ]
//
// - `prometheus`: `GET {url}/api/v1/query?query=…`; firing when ANY sample satisfies `fireWhen` (default `> 0`).
//   An empty result is not firing; NaN satisfies nothing.
// - `http`: `GET {url}` answers `{ "firing": true|false, "message": "…" }` (message optional).
// - Every alarm takes `failAfterErrors` (default 3): a source that fails that many evaluations in a row counts as
//   firing (fail safe), and `timeoutMs` (default 5000): the HTTP timeout of one evaluation.
//
// This file is pure (schemas and the judgement of one evaluation); adapters/alarm-sources.ts does the I/O.
import { z } from 'zod';
import { ComparisonOpSchema } from './comparison';

// The same grammar as operation and wave names (domain/operation.ts), kept here so that file can import this one.
const ALARM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Longest message an alarm status carries; sources' own words are cut to fit. */
const MAX_MESSAGE = 500;

export const DEFAULT_ALARM_INTERVAL_SECONDS = 30;

/** Seconds between two evaluations of an operation's alarms; fractions are allowed so tests can evaluate quickly. */
export const AlarmIntervalSecondsSchema = z.number().min(0.1).max(3600);

const urlField = z
  .url({ protocol: /^https?$/, error: 'url must be an http(s) URL' })
  // The operation request is stored and shown by the API: a password in it would be shown to every reader.
  // A regex rather than URL: domain code also runs in Temporal's workflow sandbox.
  .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(u), {
    message: 'url must not carry credentials (the operation request is stored and shown by the API)',
  });

const common = {
  name: z.string().regex(ALARM_NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$'),
  url: urlField,
  /** Evaluations in a row a source may fail before the alarm counts as firing (fail safe). */
  failAfterErrors: z.number().int().min(1).max(100).default(3),
  /** HTTP timeout of one evaluation, body included. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
};

const FireWhenSchema = z
  .object({
    op: ComparisonOpSchema,
    // zod 4 numbers are finite: Infinity and NaN are refused.
    value: z.number(),
  })
  .strict();

export const AlarmSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('prometheus'),
      ...common,
      query: z.string().min(1).max(4000),
      fireWhen: FireWhenSchema.default(() => ({ op: '>' as const, value: 0 })),
    })
    .strict(),
  z
    .object({
      type: z.literal('http'),
      ...common,
    })
    .strict(),
]);
export type AlarmSpec = z.output<typeof AlarmSpecSchema>;

export const AlarmsSchema = z
  .array(AlarmSpecSchema)
  .max(20)
  .superRefine((alarms, ctx) => {
    const seen = new Set<string>();
    alarms.forEach((alarm, i) => {
      if (seen.has(alarm.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `alarm name '${alarm.name}' is used twice` });
      }
      seen.add(alarm.name);
    });
  });

/** What a source answered to one evaluation. */
export interface AlarmReading {
  firing: boolean;
  message: string;
}

/** An alarm as last evaluated. */
export interface AlarmStatus {
  name: string;
  firing: boolean;
  message: string;
  /** ISO 8601 time of the evaluation. */
  checkedAt: string;
  /** Evaluations in a row whose source failed; 0 after a reading. */
  consecutiveErrors: number;
}

const cut = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text);

/**
 * One evaluation's verdict. A reading decides firing and resets the error count. A source error increments it
 * and is not firing until `failAfterErrors` errors in a row, after which the alarm fires (fail safe: a rollout
 * must not carry on blind because the signal that would stop it is down).
 */
export function judgeAlarm(
  spec: AlarmSpec,
  previousErrors: number,
  outcome: { ok: true; reading: AlarmReading } | { ok: false; error: string },
): { firing: boolean; message: string; consecutiveErrors: number } {
  if (outcome.ok) {
    return { firing: outcome.reading.firing, message: cut(outcome.reading.message), consecutiveErrors: 0 };
  }
  const consecutiveErrors = Math.max(0, Math.trunc(previousErrors) || 0) + 1;
  if (consecutiveErrors >= spec.failAfterErrors) {
    const times = consecutiveErrors === 1 ? 'time' : 'times';
    return {
      firing: true,
      message: cut(`source failed ${consecutiveErrors} ${times} in a row (fail safe): ${outcome.error}`),
      consecutiveErrors,
    };
  }
  return {
    firing: false,
    message: cut(`source error ${consecutiveErrors}/${spec.failAfterErrors}: ${outcome.error}`),
    consecutiveErrors,
  };
}
