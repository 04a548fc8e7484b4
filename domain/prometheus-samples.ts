// What the samples of a Prometheus query mean for an alarm: values as Prometheus writes them (NaN, +Inf,
// -Inf), and the one-line reading against `fireWhen` that a person reads at 3 a.m. Pure: the HTTP side
// is adapters/alarm-sources.ts.
import type { AlarmReading } from './alarms';
import { holds, type ComparisonOp } from './comparison';

/** Longest reading message; longer text is cut with an ellipsis. */
export const MAX_READING_MESSAGE = 500;

/** One line, at most `max` characters. */
export const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** One sample: its series labels (none for a scalar) and its value. */
export interface Sample {
  labels: Record<string, string> | null;
  value: number;
}

/** A Prometheus sample value: a decimal string, or NaN / +Inf / -Inf. */
export function parseSampleValue(text: string): number | null {
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
export function judgeSamples(samples: Sample[], fireWhen: { op: ComparisonOp; value: number }): AlarmReading {
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
        MAX_READING_MESSAGE,
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
  return { firing: false, message: oneLine(`no sample ${condition} (${seen})`, MAX_READING_MESSAGE) };
}
