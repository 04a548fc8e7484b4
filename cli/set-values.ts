// `--set key=value` for `clusters patch`: parsing an assignment and folding assignments into a PATCH body.
import { InvalidArgumentError } from 'commander';

export interface Assignment {
  /** The field path: `['adapter', 'config', 'applyMs']`; a label is always `['labels', '<key>']`. */
  path: string[];
  value: unknown;
}

/** Keys that would reach an object's prototype instead of a field of it. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** JSON when it parses (`100`, `true`, `null`, `{"a":1}`, `"3"`), else the text as is (`core`, `3.7.1`). */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * `labels.team=core`, `adapter.config.applyMs=100`, `tier=null`. Dots nest, except under `labels`:
 * labels are one flat map of strings whose keys may contain dots (`labels.app.kubernetes.io/name=x`),
 * so the rest of the key is one label and its value stays text (`labels.build=123` is "123", not 123).
 */
export function parseAssignment(text: string): Assignment {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${text}'`);
  const key = text.slice(0, at);
  const raw = text.slice(at + 1);
  const label = key.startsWith('labels.') && key.length > 'labels.'.length;
  const path = label ? ['labels', key.slice('labels.'.length)] : key.split('.');
  if (path.some((segment) => segment === ''))
    throw new InvalidArgumentError(`'${key}' has an empty field name: write fields as a.b.c`);
  const bad = path.find((segment) => FORBIDDEN_SEGMENTS.has(segment));
  if (bad !== undefined) throw new InvalidArgumentError(`'${bad}' cannot be a field name`);
  return { path, value: label ? raw : parseValue(raw) };
}

/** A commander collector: `--set` may repeat; assignments keep their order, later ones win. */
export function setOption(value: string, previous: Assignment[] = []): Assignment[] {
  return [...previous, parseAssignment(value)];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether folding needs the cluster as it is now: a nested assignment whose top field neither the file
 * nor an earlier `--set` gives. The API replaces `labels` and `adapter` as a whole, so the CLI sends
 * the whole field, the current value with the assignment merged in.
 */
export function needsCurrent(base: Record<string, unknown>, sets: readonly Assignment[]): boolean {
  const given = new Set(Object.keys(base));
  for (const { path } of sets) {
    const top = path[0]!;
    if (path.length > 1 && !given.has(top)) return true;
    given.add(top);
  }
  return false;
}

/**
 * The PATCH body: `base` (the --file, as written), then each assignment in order. A nested assignment
 * starts from the field in the body so far, else from `current` (the cluster now), else from `{}`.
 */
export function foldAssignments(
  base: Record<string, unknown>,
  sets: readonly Assignment[],
  current: Record<string, unknown> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = structuredClone(base);
  for (const { path, value } of sets) {
    const [top, ...rest] = path as [string, ...string[]];
    if (rest.length === 0) {
      body[top] = value;
      continue;
    }
    if (!Object.hasOwn(body, top)) body[top] = Object.hasOwn(current, top) ? structuredClone(current[top]) : {};
    if (!isObject(body[top])) body[top] = {};
    let node = body[top] as Record<string, unknown>;
    for (const segment of rest.slice(0, -1)) {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[rest.at(-1)!] = value;
  }
  return body;
}
