// fast-check arbitraries for fuzzing: adversarial JSON, strings, path segments, queries, headers, and valid request bodies.
import fc from 'fast-check';

/** A JSON token sent as written (`-0`, `1e400`, deep nesting), where JSON.stringify would normalise it. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object kept as entries, so `__proto__` and duplicate keys reach the wire as own keys. */
export class Entries {
  constructor(readonly entries: [string, unknown][]) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Entries)
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') return toJsonText(new Entries(Object.entries(value)));
  return JSON.stringify(value) ?? 'null';
}

/** Strings servers echo back; the leak check strips them before looking for SQL. */
export const INJECTIONS = [
  "'; DROP TABLE clusters;--",
  '" OR "1"="1',
  "1' OR '1'='1' --",
  "x'); DELETE FROM audit_events; --",
  '$1::text',
  '{{7*7}}',
  '${process.env.HOME}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '%s%s%s%n',
] as const;

const SPECIAL = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00\ud800y',
  '🚀🔥',
  '\u202eevil',
  '\u200b',
  '\ufeff{}',
  'Ω≈ç√',
  'ｆｕｌｌ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'null',
  'true',
  'undefined',
  'remainder',
  '..',
  '.',
  '/',
  '\\',
  'upgrade',
  'restart',
  'config',
  'simulated',
  'http',
  '3.7.1',
  'manual',
  'none',
  'pause',
  'abort',
  'sat',
  '02:00',
  'aws',
  'by-cloud',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

export const adversarialString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS, ...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate, control),
      maxLength: 20,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(64, 201, 256, 1001, 10_000, 200_000).map((n) => 'x'.repeat(n)) },
);

/** Numbers JSON can carry, written raw so `-0`, overflow and odd spellings reach the parser as typed. */
export const adversarialNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .constantFrom(
      '1e308',
      '-0',
      '1e400',
      '-1e400',
      '5e-324',
      '1E+2',
      '0.0000001',
      '9007199254740993',
      '-1',
      '0',
      '1.5',
      '2147483648',
      '-9223372036854775808',
    )
    .map((t) => new RawJson(t)),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const adversarialKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    '',
    ' ',
    'id',
    'name',
    'type',
    'clusters',
    'config',
    'labels',
    'wave',
    'reason',
    'x',
  ),
  adversarialString.map((s) => s.slice(0, 80)),
);

/** Deep nesting as raw text: the serializer never recurses through it. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.constantFrom(50, 1000, 20_000, 100_000), fc.boolean())
  .map(
    ([n, arrays]) =>
      new RawJson(arrays ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  );

/** Adversarial JSON without extreme nesting (YAML parsers recurse; see the CLI fuzz). */
export const { json: shallowJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    adversarialString,
    adversarialNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(adversarialKey, tie('json')), { maxLength: 4 }).map((e) => new Entries(e)),
  ),
}));

export const adversarialJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: shallowJson },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.constant(new Entries([['__proto__', new Entries([['x', 1]])]])) },
);

type Mutation = { kind: 'replace' | 'add' | 'delete' | 'wrap'; at: number; key: string; value: unknown };

function containers(value: unknown, out: unknown[] = []): unknown[] {
  if (value !== null && typeof value === 'object' && !(value instanceof RawJson) && !(value instanceof Entries)) {
    out.push(value);
    for (const child of Object.values(value)) containers(child, out);
  }
  return out;
}

function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy that keeps RawJson and Entries, so mutating never touches a value fast-check generated. */
function copy(value: unknown): unknown {
  if (value instanceof RawJson) return value;
  if (value instanceof Entries) return new Entries(value.entries.map(([k, v]) => [k, copy(v)]));
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, copy(v));
  return out;
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const value = copy(m.value);
  const all = containers(root);
  const target = all[m.at % Math.max(all.length, 1)] as Record<string, unknown> | unknown[] | undefined;
  if (!target) return value;
  const keys = Object.keys(target);
  const existing = keys[m.at % Math.max(keys.length, 1)];
  if (m.kind === 'delete' && existing !== undefined) {
    if (Array.isArray(target)) target.splice(Number(existing), 1);
    else delete target[existing];
  } else if (m.kind === 'replace' && existing !== undefined) setOwn(target, existing, value);
  else if (m.kind === 'wrap' && existing !== undefined)
    setOwn(target, existing, [(target as Record<string, unknown>)[existing]]);
  else if (Array.isArray(target)) target.push(value);
  else setOwn(target, m.key, value);
  return root;
}

/** A valid body broken in one to three places (a field replaced, added, removed or wrapped in an array). */
export function mutated(
  base: fc.Arbitrary<unknown>,
  values: fc.Arbitrary<unknown> = adversarialJson,
): fc.Arbitrary<unknown> {
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    kind: fc.constantFrom('replace', 'add', 'delete', 'wrap'),
    at: fc.nat(),
    key: adversarialKey,
    value: values,
  });
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([value, ms]) => ms.reduce((v, m) => applyMutation(v, m), copy(value)));
}

// ---- valid bodies ----

const token = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/);
export const semver = fc.tuple(fc.nat(40), fc.nat(40), fc.nat(40)).map(([a, b, c]) => `${a}.${b}.${c}`);
export const opName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/).filter((n) => n !== 'remainder');
const text = (maxLength: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength });
// zod's record parsing drops a `__proto__` key (it sets the prototype), so a map holding one is not what it says.
const mapKey = <T extends string>(key: fc.Arbitrary<T>) => key.filter((k) => k !== '__proto__');
const labels = fc.dictionary(mapKey(fc.stringMatching(/^[A-Za-z0-9._/-]{1,20}$/)), fc.string({ maxLength: 30 }), {
  maxKeys: 3,
});
const anyOf = fc.oneof(text(20), fc.array(text(20), { minLength: 1, maxLength: 3 }));

// Lists SelectorSchema's fields again on purpose: the fuzzer names each one it tries, so a new field fails loudly.
export const selectorArb = fc.record(
  {
    ids: anyOf,
    excludeIds: anyOf,
    kind: anyOf,
    cloud: anyOf,
    region: anyOf,
    environment: anyOf,
    tier: anyOf,
    labels,
    versionBelow: semver,
  },
  { requiredKeys: [] },
);

const actionArb = fc.oneof(
  semver.map((targetVersion) => ({ type: 'upgrade', targetVersion })),
  fc.constant({ type: 'restart' }),
  fc
    .dictionary(mapKey(text(30)), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { minKeys: 1, maxKeys: 3 })
    .map((settings) => ({ type: 'config', settings })),
);

const knobs = {
  maxParallel: fc.integer({ min: 1, max: 1000 }),
  maxFailures: fc.nat(1000),
  bakeSeconds: fc.oneof(fc.nat(3600), fc.double({ min: 0, max: 3600, noNaN: true })),
  approval: fc.constantFrom('none', 'manual'),
};

const waveArb = fc.record(
  { name: opName, selector: selectorArb, percent: fc.integer({ min: 1, max: 100 }), ...knobs },
  { requiredKeys: ['name'] },
);
const wavesArb = fc.uniqueArray(waveArb, { minLength: 1, maxLength: 5, selector: (w) => w.name });

// Order tokens have no '-', so none can equal a generated `<cloud>-canary` name.
const policyArb = fc.record(
  {
    type: fc.constant('by-cloud'),
    order: fc.uniqueArray(
      fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/).filter((c) => c !== 'internal' && c !== 'remainder'),
      { minLength: 1, maxLength: 5 },
    ),
    internalFirst: fc.boolean(),
    canaryPercent: fc.integer({ min: 1, max: 100 }),
  },
  { requiredKeys: ['type', 'order'] },
);

const monitorArb = fc
  .tuple(
    fc.double({ min: 0.01, max: 3600, noNaN: true }),
    fc.double({ min: 0.01, max: 1, noNaN: true }),
    fc.integer({ min: 1, max: 10 }),
  )
  .map(([timeoutSeconds, share, stableChecks]) => ({
    timeoutSeconds,
    intervalSeconds: Math.max(timeoutSeconds * share, 0.001) * 0.999,
    stableChecks,
  }));

/** A valid POST /v1/operations body; `selector` scopes it (the API fuzz passes one that only matches its own fleet). */
export function operationRequestArb(
  selector: fc.Arbitrary<Record<string, unknown>> = selectorArb,
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record(
      {
        name: opName,
        requestId: text(60),
        action: actionArb,
        selector,
        plan: fc.oneof(
          wavesArb.map((waves) => ({ waves })),
          policyArb.map((policy) => ({ policy })),
          fc.constant({}),
        ),
        defaults: fc.record(knobs, { requiredKeys: [] }),
        monitor: monitorArb,
        maxFailuresTotal: fc.nat(100),
        onFailure: fc.constantFrom('pause', 'abort'),
        rollbackOnFailure: fc.boolean(),
      },
      { requiredKeys: ['name', 'action', 'selector', 'plan'] },
    )
    .map(({ plan, ...rest }) => ({ ...rest, ...plan }));
}

/** A valid cluster body with an id from `ids` and the given kind, so it matches only its own test's selectors. */
export function clusterInputArb(ids: fc.Arbitrary<string>, kind: string): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    id: ids,
    name: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    kind: fc.constant(kind),
    cloud: token,
    region: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
    environment: fc.constant('fuzz'),
    tier: fc.option(token, { nil: null }),
    version: semver,
    labels,
    adapter: fc.record({
      type: fc.constantFrom('simulated', 'http'),
      config: fc.dictionary(mapKey(fc.string({ maxLength: 10 })), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    }),
    maintenanceWindows: fc.array(
      fc.record({
        days: fc.subarray(['mon', 'tue', 'sat', 'sun'], { minLength: 1 }),
        start: fc.constant('02:00'),
        end: fc.constant('06:00'),
      }),
      { maxLength: 2 },
    ),
  });
}

// ---- HTTP pieces ----

/** Percent-encodes every byte but unreserved ASCII: the segment reaches the router exactly as generated. */
export const pctEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** A path segment as sent on the wire: encoded strings, `..`, `%00`, malformed escapes, raw punctuation, very long. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,62}$/) },
  { weight: 3, arbitrary: adversarialString.map((s) => pctEncode(s.slice(0, 300))) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E',
      '%00',
      'a%00',
      '%',
      '%zz',
      '%E0%A4%A',
      '%C0%AF',
      '%FF%FE',
      '%2F',
      'a%2Fb',
      '%5C',
      '%25',
      '~',
      '%20',
      'A',
      '%C3%A9',
      'a'.repeat(64),
      'a'.repeat(4000),
    ),
  },
  // Raw bytes are printable ASCII only: Node's HTTP parser itself refuses others in the request line (a bare 400).
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc
        .integer({ min: 0x21, max: 0x7e })
        .filter((c) => c !== 0x2f && c !== 0x3f && c !== 0x23)
        .map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 30,
    }),
  },
);

const queryKey = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'limit',
      'cursor',
      'pageToken',
      'state',
      'name',
      'wave',
      'dryRun',
      'kind',
      'cloud',
      'region',
      'environment',
      'tier',
      'version',
      'id',
      'ids',
      'label.team',
      'label.',
      'label.__proto__',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'limit[]', 'limit[a]', 'a.b', '', ' ') },
  { weight: 1, arbitrary: adversarialString.map((s) => s.slice(0, 50)) },
);

const queryValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '1',
      '0',
      '-1',
      '1000',
      '1001',
      '1e3',
      '1e308',
      '99999999999999999999999',
      '1.5',
      ' 1',
      '0x10',
      'NaN',
      'true',
      'false',
      'TRUE',
      'running',
      'failed,rolled_back',
      ',',
      'YQ',
      'YWJj',
      'AA',
      'YQA',
      '____',
      '\u0000',
      'a\u0000',
      '\ud800',
      'a'.repeat(401),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .base64String({ maxLength: 40 })
      .map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
  },
  { weight: 2, arbitrary: adversarialString.map((s) => s.slice(0, 200)) },
);

/** A query string: known and unknown keys, repeats, empty values, bare keys, malformed escapes. */
export const queryString: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.tuple(queryKey, queryValue, fc.constantFrom('pair', 'bare', 'empty')), { maxLength: 5 }),
    fc.constantFrom('', '', '', '&', '&&', '%', '%zz=1', '=x', 'limit=%FF'),
  )
  .map(([pairs, garbage]) => {
    const parts = pairs.map(([k, v, form]) =>
      form === 'bare' ? pctEncode(k) : form === 'empty' ? `${pctEncode(k)}=` : `${pctEncode(k)}=${pctEncode(v)}`,
    );
    const qs = [...parts, garbage].filter((p) => p.length > 0).join('&');
    return qs ? `?${qs}` : '';
  });

/** UTF-8 bytes as a latin-1 string: how raw non-ASCII reaches a header through Node's client. */
const utf8Bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

/** An Authorization header other than a valid one, or none (`undefined`). */
export function badAuthorization(validToken: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      '',
      'Bearer',
      'Bearer ',
      'Bearer  ',
      `Basic ${validToken}`,
      `Token ${validToken}`,
      `${validToken}`,
      `Bearer ${validToken}x`,
      `Bearer ${validToken} ${validToken}`,
      `Bearer ${validToken.slice(1)}`,
      'Bearer null',
      'Bearer undefined',
      `Bearer ${'a'.repeat(4000)}`,
      'Bearer é',
    ),
    adversarialString.map((s) => headerSafe(utf8Bytes(`Bearer ${s.slice(0, 1000)}`))),
  );
}

/** An Idempotency-Key value: printable, spaced, latin-1, too long or empty. */
export const idempotencyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'k'.repeat(201), 'k'.repeat(200), 'é', '\t'),
  fc.string({ minLength: 1, maxLength: 40 }),
  adversarialString.map((s) => headerSafe(utf8Bytes(s.slice(0, 300)))),
);

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/json; charset=nope',
      'APPLICATION/JSON',
      'application/json;;;',
      'application/vnd.api+json',
      'application/merge-patch+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'json',
      '',
      '%%%',
      'application/json; x="unterminated',
    ),
  },
);

/** Bodies that are not JSON at all, though they claim to be. */
export const nonJsonBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    '}',
    '[1,]',
    '{"a":1,}',
    "{'a':1}",
    'NaN',
    '{"wave": NaN}',
    'undefined',
    '{"a":undefined}',
    '\ufeff{}',
    '{"a":"\\x41"}',
    '{"a":"\\ud800"}',
    '{"a":01}',
    '"\u0000"',
    '\u0000',
    'null',
    'true',
    '1',
    '"str"',
    '{}{}',
    '[]',
    'a=1&b=2',
    '<xml/>',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
);
