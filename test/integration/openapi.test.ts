// /openapi.json and /docs against the real app: complete both ways, valid, true to real answers, and the page renders from local assets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestHandler } from 'express';
import { createApp } from '../../api/app';
import { DOCS_CSP } from '../../api/routes/docs';
import {
  ClusterBulkInputSchema,
  ClusterInputSchema,
  ClusterListQuerySchema,
  ClusterPatchSchema,
} from '../../domain/cluster';
import { OperationRequestSchema } from '../../domain/operation';
import { ApproveBodySchema, PatchOperationBodySchema } from '../../domain/operation-requests';
import { createLogger } from '../../logger';
import { version } from '../../package.json';
import { call, startApiWithCleanup, TOKENS, type HttpAnswer } from '../helpers/api';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';
import { ALL as FUZZED_ROUTES } from '../helpers/fuzz-requests';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ERROR_STATUSES = ['400', '401', '403', '404', '409', '413', '415', '503'];

let doc: any;
const { api, started } = startApiWithCleanup({}, async (ready) => {
  const res = await call(ready.url, 'GET', '/openapi.json', { token: null });
  assert.equal(res.status, 200);
  doc = res.body;
});

/** Every documented operation as `METHOD /template`, with its OpenAPI object. */
function documented(): { key: string; method: string; path: string; op: any }[] {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op })),
  );
}

interface StackLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
  rawPath?: unknown;
}

/** Walks Express 5's router stack (routes and mounted routers) into `METHOD /template` entries. */
function servedRoutes(stack: StackLayer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = [layer.route.path].flat();
      const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
      return paths.flatMap((p) => methods.map((m) => `${m.toUpperCase()} ${toTemplate(prefix + p)}`));
    }
    if (!layer.handle.stack) return [];
    assert.equal(typeof layer.rawPath, 'string', 'a router is mounted on a path this walk cannot read');
    return servedRoutes(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : (layer.rawPath as string)));
  });
}

const toTemplate = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}').replace(/(.)\/+$/, '$1');
const concrete = (template: string) => template.replace(/\{(\w+)\}/g, 'probe-$1');

function pointer(ref: string): any {
  assert.ok(ref.startsWith('#/'), `${ref} is not a local reference`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, key) => node?.[key], doc);
}

const resolve = (schema: any): any => (schema?.$ref ? resolve(pointer(schema.$ref)) : schema);

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Where `value` differs from `schema`; a field the schema does not list counts, so answers stay documented. */
function mismatches(schemaIn: any, value: unknown, at = '$'): string[] {
  const schema = resolve(schemaIn);
  if (!schema || Object.keys(schema).length === 0) return [];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches)
    return branches.some((b: any) => mismatches(b, value, at).length === 0)
      ? []
      : [`${at}: matches none of its alternatives`];
  const actual = jsonType(value);
  const types = schema.type === undefined ? undefined : [schema.type].flat();
  if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number')))
    return [`${at}: is ${actual}, documented ${types.join('|')}`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${String(value)} is not one of ${schema.enum.join(', ')}`];
  if (actual === 'array' && schema.items)
    return (value as unknown[]).flatMap((v, i) => mismatches(schema.items, v, `${at}[${i}]`));
  if (actual !== 'object') return [];
  const object = value as Record<string, unknown>;
  const properties = schema.properties ?? {};
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  return [
    ...(schema.required ?? []).filter((k: string) => !(k in object)).map((k: string) => `${at}.${k}: missing`),
    ...Object.entries(object).flatMap(([k, v]) =>
      properties[k]
        ? mismatches(properties[k], v, `${at}.${k}`)
        : extra
          ? mismatches(extra, v, `${at}.${k}`)
          : [`${at}.${k}: not documented`],
    ),
  ];
}

/** Asserts the answer's status is documented for the route and its JSON body has the documented shape. */
function assertDocumented(method: string, template: string, res: HttpAnswer) {
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is not documented`);
  const response = op.responses[String(res.status)];
  assert.ok(
    response,
    `${method} ${template} answered ${res.status}, which is not documented: ${JSON.stringify(res.body)}`,
  );
  const schema = response.content?.['application/json']?.schema;
  if (res.status === 204) return;
  assert.ok(schema, `${method} ${template} ${res.status} documents no JSON body`);
  assert.deepEqual(
    mismatches(schema, res.body),
    [],
    `${method} ${template} ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`,
  );
}

describe('GET /openapi.json', () => {
  test('when fetched without a token, then it is an OpenAPI 3 document named fleetwave at the package version', () => {
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(doc.info.title, 'fleetwave');
    assert.equal(doc.info.version, version);
    const { type, scheme } = doc.components.securitySchemes.bearerAuth;
    assert.deepEqual({ type, scheme }, { type: 'http', scheme: 'bearer' });
  });

  test('when the app router stack is walked, then every route the app serves is documented (and fuzzed), and nothing else is', () => {
    const pass: RequestHandler = (_req, _res, next) => next();
    // Only the structure matters here: every dependency is a pass-through handler.
    const stub = new Proxy({}, { get: () => pass }) as never;
    const app = createApp({
      config: { tokens: [] },
      logger: createLogger({ level: 'silent', pretty: false, name: 'openapi-test' }),
      inventory: stub,
      operations: stub,
      guard: stub,
      health: stub,
      metrics: stub,
    });
    const served = new Set(servedRoutes((app.router as unknown as { stack: StackLayer[] }).stack));
    const docd = new Set(documented().map((d) => d.key));
    assert.ok(served.size >= 20, `the walk found only ${served.size} routes`);
    // The dashboard's pages and files (api/routes/ui.ts) are not part of the REST API: fuzzed, not documented.
    const dashboard = (r: string) => /^GET \/ui(?:\/|$)/.test(r);
    assert.deepEqual(
      [...served].filter((r) => !docd.has(r) && !dashboard(r)),
      [],
      'served but not documented',
    );
    assert.deepEqual(
      [...docd].filter((r) => !served.has(r)),
      [],
      'documented but not served',
    );
    // The API fuzz sends what its own list names: a route missing there would never get bad input.
    const fuzzed = new Set(FUZZED_ROUTES.map((r) => `${r.method} ${toTemplate(r.template)}`));
    assert.deepEqual(
      [...served].filter((r) => !fuzzed.has(r)),
      [],
      'served but not fuzzed (test/helpers/fuzz-requests.ts)',
    );
  });

  test('when every documented route is called with placeholder ids, then none answers 404 no route', async () => {
    for (const { key, method, path } of documented()) {
      // A viewer token never changes anything: operator routes stop at 403, after routing.
      const res = await call(api.url, method, concrete(path), { token: TOKENS.viewer });
      const noRoute = res.status === 404 && /^no route/.test(String(res.body?.error?.message));
      assert.ok(!noRoute, `${key} is documented but the app has no such route`);
    }
  });

  test('when a viewer and an anonymous caller call each route, then the documented role and security hold', async () => {
    for (const { key, method, path, op } of documented()) {
      const role = op['x-fleetwave-role'];
      assert.ok(['none', 'viewer', 'operator', 'approver', 'admin'].includes(role), `${key} names no role`);
      assert.match(
        op.description,
        new RegExp(`Role:\\*\\* ${role === 'none' ? 'none' : `\`${role}\``}`),
        `${key} does not say its role`,
      );
      const anonymous = await call(api.url, method, concrete(path), { token: null });
      const asViewer = await call(api.url, method, concrete(path), { token: TOKENS.viewer });
      if (role === 'none') {
        assert.deepEqual(op.security, [], `${key} is public`);
        assert.notEqual(anonymous.status, 401, `${key} is documented public but asks for a token`);
        continue;
      }
      assert.deepEqual(op.security, [{ bearerAuth: [] }], `${key} needs the bearer scheme`);
      assert.equal(anonymous.status, 401, `${key} answers ${anonymous.status} without a token`);
      assert.equal(
        asViewer.status === 403,
        role !== 'viewer',
        `${key} (role ${role}) answers a viewer ${asViewer.status}`,
      );
    }
  });

  test('when the document is checked, then every $ref resolves, operations are unique and answer, and path parameters are declared', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    assert.ok(refs.length > 20);
    for (const ref of new Set(refs)) assert.ok(pointer(ref) !== undefined, `${ref} does not resolve`);

    const ids = documented().map((d) => d.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const { key, path, op } of documented()) {
      assert.ok(op.operationId && op.summary, `${key} has an operationId and a summary`);
      const responses = Object.entries(op.responses ?? {});
      assert.ok(responses.length > 0, `${key} has responses`);
      for (const [status, r] of responses)
        assert.ok((resolve(r) as { description?: string }).description, `${key} ${status} has a description`);
      const params = (op.parameters ?? []).map(resolve);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = params.filter((p: any) => p.in === 'path');
      assert.deepEqual(declared.map((p: any) => p.name).sort(), inPath, `${key} declares its path parameters`);
      for (const p of declared) assert.equal(p.required, true, `${key} path parameter ${p.name} is required`);
      for (const p of params)
        assert.ok(p.name && ['path', 'query', 'header'].includes(p.in) && p.schema, `${key} parameter ${p.name}`);
      for (const scheme of (op.security ?? []).flatMap(Object.keys))
        assert.ok(doc.components.securitySchemes[scheme], `${key} uses ${scheme}`);
    }
  });

  test('when the error answers are read, then each is the error body and together they cover 400 to 503', () => {
    const seen = new Set<string>();
    for (const { key, path, op } of documented()) {
      for (const [status, r] of Object.entries<any>(op.responses)) {
        if (!ERROR_STATUSES.includes(status) || !path.startsWith('/v1/')) continue;
        seen.add(status);
        assert.equal(r.content['application/json'].schema.$ref, '#/components/schemas/ErrorBody', `${key} ${status}`);
      }
      if (path.startsWith('/v1/'))
        for (const s of ['400', '401', '503']) assert.ok(op.responses[s], `${key} documents ${s}`);
    }
    assert.deepEqual([...seen].sort(), ERROR_STATUSES);
    const error = resolve(doc.components.schemas.ErrorBody).properties.error;
    assert.deepEqual(Object.keys(error.properties).sort(), ['code', 'details', 'message', 'requestId']);
  });

  test('when the request examples are parsed with the schemas the routes use, then they pass, the documented example included', () => {
    const body = (method: string, path: string) => doc.paths[path][method].requestBody.content['application/json'];
    const start = body('post', '/v1/operations');
    assert.equal(start.schema.$ref, '#/components/schemas/OperationRequest');
    assert.equal(start.examples.waves.value.name, 'kafka-3.7.1');
    assert.equal(start.examples.waves.value.waves[1].approval, 'manual');
    for (const example of Object.values<any>(start.examples)) OperationRequestSchema.parse(example.value);
    const clusters = body('post', '/v1/clusters').examples;
    ClusterInputSchema.parse(clusters.one.value);
    ClusterBulkInputSchema.parse(clusters.bulk.value);
    ClusterPatchSchema.parse(body('patch', '/v1/clusters/{id}').examples.version.value);
    PatchOperationBodySchema.parse(body('patch', '/v1/operations/{id}').examples.ten.value);
    ApproveBodySchema.parse(body('post', '/v1/operations/{id}/approve').examples.canary.value);
    assert.deepEqual(mismatches(doc.components.schemas.Cluster, doc.components.schemas.Cluster.example), []);
  });

  test('when each documented query parameter of GET /v1/clusters is sent, then the list schema accepts it', () => {
    const params = doc.paths['/v1/clusters'].get.parameters.filter((p: any) => p.in === 'query');
    assert.ok(params.length >= 8);
    for (const p of params) {
      const value = p.name === 'limit' ? '10' : p.name === 'cursor' ? 'YQ' : 'x';
      assert.ok(ClusterListQuerySchema.safeParse({ [p.name]: value }).success, `${p.name} is documented but refused`);
    }
  });
});

describe('documented answers', () => {
  test('when the inventory routes are used, then every answer has a documented status and shape', async () => {
    const one = clusterBody();
    const check = async (method: string, template: string, path: string, body?: unknown) => {
      const res = await call(api.url, method, path, { body });
      assertDocumented(method, template, res);
      return res;
    };
    assert.equal((await check('POST', '/v1/clusters', '/v1/clusters', one)).status, 201);
    const bulk = [clusterBody(), clusterBody()];
    await check('POST', '/v1/clusters', '/v1/clusters', { clusters: bulk });
    await check('GET', '/v1/clusters', `/v1/clusters?ids=${one.id},${bulk[0]!.id}&limit=1`);
    const detail = await check('GET', '/v1/clusters/{id}', `/v1/clusters/${one.id}`);
    // The shape check is not vacuous: an undocumented field or a wrong type is caught.
    const detailSchema = doc.paths['/v1/clusters/{id}'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(mismatches(detailSchema, { ...detail.body, surprise: 1, version: 3 }), [
      '$.version: is integer, documented string',
      '$.surprise: not documented',
    ]);
    await check('PATCH', '/v1/clusters/{id}', `/v1/clusters/${one.id}`, { labels: { team: 'edge' } });
    assert.equal((await check('DELETE', '/v1/clusters/{id}', `/v1/clusters/${bulk[1]!.id}`)).status, 204);
    assert.equal((await check('GET', '/v1/clusters/{id}', `/v1/clusters/${bulk[1]!.id}`)).status, 404);
    assert.equal((await check('POST', '/v1/clusters', '/v1/clusters', { ...one, colour: 'blue' })).status, 400);
    assertDocumented('GET', '/healthz', await call(api.url, 'GET', '/healthz', { token: null }));
    assertDocumented('GET', '/readyz', await call(api.url, 'GET', '/readyz', { token: null }));
  });

  test('when an operation is planned, started and controlled, then every answer has a documented status and shape', async () => {
    const cluster = clusterBody();
    assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: cluster })).status, 201);
    const request = {
      name: uid('op'),
      requestId: uid('key'),
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids: [cluster.id] },
    };
    const check = async (method: string, template: string, path: string, body?: unknown, token?: string) => {
      const res = await call(api.url, method, path, { body, token });
      assertDocumented(method, template, res);
      return res;
    };
    assert.equal((await check('POST', '/v1/operations', '/v1/operations?dryRun=true', request)).status, 200);
    const startedRes = await check('POST', '/v1/operations', '/v1/operations', request);
    assert.equal(startedRes.status, 201);
    const id = startedRes.body.id as string;
    started.push(id);
    assert.equal((await check('POST', '/v1/operations', '/v1/operations', request)).status, 200);
    await check('GET', '/v1/operations/{id}', `/v1/operations/${id}`);
    await check('GET', '/v1/operations', `/v1/operations?name=${request.name}`);
    await check('GET', '/v1/operations/{id}/clusters', `/v1/operations/${id}/clusters?limit=5`);
    assert.equal(
      (await check('POST', '/v1/operations/{id}/pause', `/v1/operations/${id}/pause`, { reason: 'openapi test' }))
        .status,
      202,
    );
    await check('GET', '/v1/operations/{id}/events', `/v1/operations/${id}/events`);
    assert.equal(
      (
        await check(
          'POST',
          '/v1/operations/{id}/clusters/{clusterId}/retry',
          `/v1/operations/${id}/clusters/${cluster.id}/retry`,
        )
      ).status,
      202,
    );
    assert.equal(
      (await check('POST', '/v1/operations/{id}/approve', `/v1/operations/${id}/approve`, { wave: 1 }, TOKENS.approver))
        .status,
      202,
    );
    assert.equal((await check('POST', '/v1/operations/{id}/resume', '/v1/operations/no-such-op/resume')).status, 404);
  });
});

describe('GET /docs', () => {
  test('when fetched without a token, then it is HTML whose assets load from /docs/* under a self-only CSP', async () => {
    const res = await fetch(`${api.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('content-security-policy'), DOCS_CSP);
    assert.doesNotMatch(DOCS_CSP, /https?:|\*/);
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1]!);
    assert.ok(assets.length >= 4, `the page links ${assets.length} assets`);
    for (const asset of assets) {
      assert.match(asset, /^\/docs\//, `${asset} would not come from this server's /docs`);
      const file = await fetch(`${api.url}${asset}`);
      assert.equal(file.status, 200, `${asset} answers ${file.status}`);
      if (asset.endsWith('.js')) assert.match(file.headers.get('content-type') ?? '', /javascript/, asset);
      await file.arrayBuffer();
    }
    const init = await (await fetch(`${api.url}/docs/swagger-ui-init.js`)).text();
    assert.match(init, /"url": "\/openapi\.json"/);
    assert.match(init, /"validatorUrl": null/);
  });

  test('when a swagger-ui-dist file the page does not use is asked for, then it is 404', async () => {
    for (const file of ['index.html', 'swagger-initializer.js', 'package.json']) {
      const res = await call(api.url, 'GET', `/docs/${file}`, { token: null });
      assert.equal(res.status, 404, file);
    }
  });
});
