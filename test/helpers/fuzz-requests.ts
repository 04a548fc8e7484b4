// What fuzzed API requests look like: every route with the kind of body it reads, valid bodies to
// mutate, and whole requests (path, query, headers, body) built from them for one fuzz run.
import fc from 'fast-check';
import { FreezeInputSchema } from '../../domain/guard';
import { OperationRequestSchema } from '../../domain/operation';
import {
  adversarialJson,
  clusterInputArb,
  contentType,
  idempotencyKey,
  mutated,
  nonJsonBody,
  operationRequestArb,
  pathSegment,
  queryString,
  toJsonText,
} from './arbitraries';
import { parseJson, type Req } from './fuzz-http';

export type BodyKind =
  | 'none'
  | 'cluster'
  | 'clusterPatch'
  | 'op'
  | 'action'
  | 'approve'
  | 'patchOp'
  | 'move'
  | 'append'
  | 'guardLimits'
  | 'freeze';
export interface Route {
  method: string;
  template: string;
  body: BodyKind;
}
/** `METHOD /template [body kind]`: every route the app serves (test/integration/openapi.test.ts holds the list to the router). */
const routes = (...specs: string[]) =>
  specs.map((spec): Route => {
    const [method = '', template = '', body = 'none'] = spec.split(' ');
    return { method, template, body: body as BodyKind };
  });

export const PUBLIC = routes(
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/:id',
  // The dashboard (api/routes/ui.ts): pages, its settings and its files.
  'GET /ui',
  'GET /ui/operations',
  'GET /ui/operations/:id',
  'GET /ui/plan',
  'GET /ui/config.json',
  'GET /ui/assets/:id',
);
export const ME = routes('GET /v1/me');
export const CLUSTER_READS = routes('GET /v1/clusters', 'GET /v1/clusters/:id');
export const CLUSTER_WRITES = routes(
  'POST /v1/clusters cluster',
  'PATCH /v1/clusters/:id clusterPatch',
  'DELETE /v1/clusters/:id',
);
export const OP_READS = routes(
  'GET /v1/operations',
  'GET /v1/operations/:id',
  'GET /v1/operations/:id/clusters',
  'GET /v1/operations/:id/events',
  'GET /v1/operations/:id/stream',
);
export const OP_ID_WRITES = routes(
  'PATCH /v1/operations/:id patchOp',
  'POST /v1/operations/:id/pause action',
  'POST /v1/operations/:id/resume action',
  'POST /v1/operations/:id/cancel action',
  'POST /v1/operations/:id/approve approve',
  'POST /v1/operations/:id/clusters/:clusterId/retry action',
  'POST /v1/operations/:id/clusters/:clusterId/skip action',
  'POST /v1/operations/:id/clusters/:clusterId/move move',
  'POST /v1/operations/:id/waves append',
);
export const OP_WRITES = [...routes('POST /v1/operations op'), ...OP_ID_WRITES];
export const GUARD_READS = routes('GET /v1/guard');
export const GUARD_WRITES = routes(
  'PUT /v1/guard/limits guardLimits',
  'POST /v1/guard/freezes freeze',
  'DELETE /v1/guard/freezes/:name',
);
export const V1 = [
  ...ME,
  ...CLUSTER_READS,
  ...CLUSTER_WRITES,
  ...OP_READS,
  ...OP_WRITES,
  ...GUARD_READS,
  ...GUARD_WRITES,
];
export const ALL = [...PUBLIC, ...V1];

export const opIdShaped = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,62}$/);

/** Which routes a property fuzzes and, where it fixes them, the ids, auth, body, query or method it sends. */
export interface Shape {
  routes: Route[];
  id: fc.Arbitrary<string>;
  clusterId?: fc.Arbitrary<string>;
  auth?: fc.Arbitrary<string | undefined>;
  body?: (k: BodyKind) => fc.Arbitrary<string | undefined>;
  query?: fc.Arbitrary<string>;
  method?: fc.Arbitrary<string>;
}

/** Who and what one fuzz run may touch, and how it steers clear of bugs still open. */
export interface FuzzScope {
  /** The kind of the run's own clusters: no other test's selector ever matches them. */
  kind: string;
  /** The ids of the run's own clusters. */
  pool: readonly string[];
  /** Bearer tokens by role, admin included. */
  tokens: { admin: string } & Record<string, string>;
  /** Rewrites a request away from the trigger of a bug still open. */
  steer: (req: Req) => Req;
}

export function fuzzRequests({ kind, pool, tokens, steer }: FuzzScope) {
  const poolId = fc.constantFrom(...pool);
  const cluster = clusterInputArb(poolId, kind);
  const VALID: Record<BodyKind, fc.Arbitrary<unknown>> = {
    none: fc.constant({}),
    cluster: fc.oneof(
      cluster,
      fc.array(cluster, { minLength: 1, maxLength: 3 }).map((clusters) => ({ clusters })),
    ),
    clusterPatch: cluster.chain((input) =>
      fc
        .subarray(
          Object.keys(input).filter((k) => k !== 'id'),
          { minLength: 1 },
        )
        .map((keys) => Object.fromEntries(keys.map((k) => [k, input[k]]))),
    ),
    op: operationRequestArb(fc.constant({ kind })),
    action: fc.record({ reason: fc.string({ minLength: 1, maxLength: 500 }) }, { requiredKeys: [] }),
    approve: fc.record(
      { wave: fc.integer({ min: 1, max: 4 }), comment: fc.string({ maxLength: 1000 }) },
      { requiredKeys: ['wave'] },
    ),
    patchOp: fc.oneof(
      fc.record({ maxParallel: fc.integer({ min: 1, max: 1000 }) }),
      fc.record(
        {
          wave: fc.integer({ min: 1, max: 4 }),
          maxParallel: fc.integer({ min: 1, max: 1000 }),
          maxFailures: fc.nat(),
          bakeSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
        },
        { requiredKeys: ['maxFailures'] },
      ),
    ),
    move: fc.record({ toWave: fc.integer({ min: 1, max: 4 }) }),
    append: fc.record(
      {
        name: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/).filter((n) => n !== 'remainder'),
        selector: fc.constant({ kind }),
        maxParallel: fc.integer({ min: 1, max: 1000 }),
        approval: fc.constantFrom('none', 'manual'),
      },
      { requiredKeys: ['name', 'selector'] },
    ),
    guardLimits: fc.record({
      limits: fc.array(
        fc.record(
          {
            name: fc.constantFrom('fz-a', 'fz-b', 'fz-c'),
            scope: fc.record({ kind: fc.constant(kind), cloud: fc.constantFrom('aws', 'gcp') }, { requiredKeys: [] }),
            maxInFlight: fc.integer({ min: 1, max: 50 }),
            maxFailuresPerHour: fc.integer({ min: 1, max: 50 }),
          },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 3 },
      ),
    }),
    freeze: fc.record(
      {
        name: fc.stringMatching(/^fz-[a-z0-9]{1,10}$/),
        from: fc.constant('2020-01-01T00:00:00Z'),
        to: fc.constantFrom('2020-01-01T01:00:00Z', '2019-12-31T00:00:00Z'),
        scope: fc.constant({ kind }),
        reason: fc.string({ minLength: 1, maxLength: 100 }),
      },
      { requiredKeys: ['name', 'from', 'to', 'reason'] },
    ),
  };

  const bodyArb = (bodyKind: BodyKind): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      { weight: bodyKind === 'none' ? 1 : 6, arbitrary: mutated(VALID[bodyKind]).map(toJsonText) },
      { weight: 2, arbitrary: VALID[bodyKind].map(toJsonText) },
      { weight: 2, arbitrary: adversarialJson.map(toJsonText) },
      { weight: 1, arbitrary: nonJsonBody },
      { weight: bodyKind === 'none' ? 8 : 1, arbitrary: fc.constant(undefined) },
    );

  const adminAuth = fc.oneof(
    { weight: 9, arbitrary: fc.constant(`Bearer ${tokens.admin}`) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(tokens).map((token) => `Bearer ${token}`)) },
  );

  /**
   * The guard is fleet-wide: a replacement of the limits always names a version that never matches (412, so
   * no valid body replaces another test's limits), and a valid freeze only ever covers the fuzz's own kind.
   */
  function guarded(req: Req): Req {
    if (/^\/v1\/guard\/limits(?:\?|$)/.test(req.path))
      return { ...req, headers: { ...req.headers, 'if-match': '"fuzz"' } };
    if (req.method !== 'POST' || !/^\/v1\/guard\/freezes(?:\?|$)/.test(req.path)) return req;
    // Only a body the API would accept is rewritten (any other is refused anyway, and may be too deep to copy).
    const body = parseJson(req.body);
    if (!FreezeInputSchema.safeParse(body).success) return req;
    return { ...req, body: JSON.stringify({ ...(body as object), scope: { kind } }) };
  }

  /** A valid start is only ever sent for the fuzz's own clusters; any other selection becomes a dry run. */
  function scoped(req: Req): Req {
    if (req.method !== 'POST' || !/^\/v1\/operations(?:\?|$)/.test(req.path)) return req;
    const result = OperationRequestSchema.safeParse(parseJson(req.body));
    if (!result.success) return req;
    const { kind: selected, ids } = result.data.selector;
    const mine =
      (selected !== undefined && [selected].flat().every((k) => k === kind)) ||
      (ids !== undefined && [ids].flat().every((id) => pool.includes(id)));
    return mine ? req : { ...req, path: '/v1/operations?dryRun=true' };
  }

  function requestArb(shape: Shape): fc.Arbitrary<Req> {
    return fc.constantFrom(...shape.routes).chain((route) =>
      fc
        .record({
          method: shape.method ?? fc.constant(route.method),
          id: shape.id,
          clusterId: shape.clusterId ?? shape.id,
          query:
            shape.query ?? fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: queryString }),
          body: (shape.body ?? bodyArb)(route.body),
          contentType,
          auth: shape.auth ?? adminAuth,
          idempotencyKey: fc.option(idempotencyKey, { freq: 5, nil: undefined }),
          requestId: fc.option(fc.constantFrom('', 'x'.repeat(300), 'a b', "'; DROP TABLE clusters;--", 'ok-id-1'), {
            freq: 8,
            nil: undefined,
          }),
        })
        .map((parts) =>
          steer(
            guarded(
              scoped({
                method: parts.method,
                path:
                  route.template
                    .replace(':id', parts.id)
                    .replace(':clusterId', parts.clusterId)
                    .replace(':name', parts.id) + parts.query,
                headers: {
                  authorization: parts.auth,
                  'content-type': parts.body === undefined ? undefined : parts.contentType,
                  'idempotency-key': parts.idempotencyKey,
                  'x-request-id': parts.requestId,
                },
                body: parts.body,
              }),
            ),
          ),
        ),
    );
  }

  const anyId = fc.oneof(
    { weight: 3, arbitrary: pathSegment },
    { weight: 1, arbitrary: poolId },
    {
      weight: 1,
      arbitrary: fc.constantFrom('swagger-ui.css', 'swagger-ui-init.js', 'favicon-16x16.png', 'index.html'),
    },
  );

  return { poolId, VALID, bodyArb, requestArb, anyId };
}
