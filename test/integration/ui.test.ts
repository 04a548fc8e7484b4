// The dashboard's serving over real HTTP: every page answers the same index.html without a token, under a
// self-only CSP with nothing inline; the bundle and stylesheet build on first request; an unknown asset is a
// JSON 404; a source that does not build is a logged 500 on the asset alone; and the source typechecks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import express, { type RequestHandler } from 'express';
import { createApp } from '../../api/app';
import { errorHandler, notFoundRoute } from '../../api/middleware/errors';
import { DOCS_CSP } from '../../api/routes/docs';
import { UI_CSP, uiRouter } from '../../api/routes/ui';
import { createLogger } from '../../logger';
import { call, startApiWithCleanup } from '../helpers/api';

const root = path.join(__dirname, '..', '..');
const { api } = startApiWithCleanup();

/** Listens on port 0; closed after the file's tests. */
async function listen(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The app's structure with every dependency a pass-through: enough for what needs no database. */
function stubApp(config: Parameters<typeof createApp>[0]['config']): express.Express {
  const pass: RequestHandler = (_req, _res, next) => next();
  const stub = new Proxy({}, { get: () => pass }) as never;
  const logger = createLogger({ level: 'silent', pretty: false, name: 'ui-test' });
  return createApp({ config, logger, inventory: stub, operations: stub, guard: stub, health: stub, metrics: stub });
}

describe('the dashboard pages', () => {
  const pages = ['/ui', '/ui/', '/ui/operations', '/ui/operations/kafka-3.7.1-b56a59', '/ui/plan'];

  test('when each page is fetched without a token, then each answers the same HTML under the dashboard CSP', async () => {
    const bodies = new Set<string>();
    for (const page of pages) {
      const res = await fetch(`${api.url}${page}`);
      const text = await res.text();
      assert.equal(res.status, 200, `${page}: ${text}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('content-security-policy'), UI_CSP, page);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      bodies.add(text);
    }
    assert.equal(bodies.size, 1, 'every page answers the same index.html');
  });

  test('when the CSP is read, then scripts, styles and connections come from this origin only and nothing inline', () => {
    const directives = new Map(
      UI_CSP.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    for (const name of ['script-src', 'style-src', 'connect-src', 'img-src']) {
      assert.deepEqual(directives.get(name), ["'self'"], name);
    }
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.doesNotMatch(UI_CSP, /unsafe-inline|unsafe-eval|https?:/);
  });

  test('when the index is read, then it has no inline script or style and loads only /ui/assets files', async () => {
    const html = await (await fetch(`${api.url}/ui/`)).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length >= 1, 'the page loads its script');
    for (const [, attrs = '', body = ''] of scripts) {
      assert.match(attrs, /\bsrc="\/ui\/assets\/[\w.-]+"/, 'each script is a file');
      assert.equal(body.trim(), '', 'no script body');
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) assert.match(ref, /^\/ui\//, `${ref} is not served by /ui`);
  });

  test('when the assets are fetched without a token, then the script, stylesheet and icon answer with their types', async () => {
    const expected: [string, RegExp][] = [
      ['/ui/assets/app.js', /^text\/javascript/],
      ['/ui/assets/app.css', /^text\/css/],
      ['/ui/assets/icon.svg', /^image\/svg\+xml/],
    ];
    for (const [asset, type] of expected) {
      const res = await fetch(`${api.url}${asset}`);
      const body = await res.text();
      assert.equal(res.status, 200, `${asset}: ${body.slice(0, 300)}`);
      assert.match(res.headers.get('content-type') ?? '', type, asset);
      assert.ok(body.length > 100, `${asset} is nearly empty`);
    }
  });

  test('when an unknown asset or page is asked for, then it is a JSON 404 not_found', async () => {
    for (const missing of [
      '/ui/assets/nope.js',
      '/ui/assets/main.ts',
      '/ui/assets/index.html',
      '/ui/nope',
      '/ui/operations/a/b',
    ]) {
      const res = await call(api.url, 'GET', missing, { token: null });
      assert.equal(res.status, 404, missing);
      assert.equal(res.body.error.code, 'not_found', missing);
    }
  });

  test('when /docs is served next to /ui, then it keeps its own CSP', async () => {
    const res = await fetch(`${api.url}/docs`);
    await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), DOCS_CSP);
  });
});

describe('GET /ui/config.json', () => {
  test('when the app was given no Temporal settings, then the dashboard gets no Web UI link', async () => {
    const res = await call(api.url, 'GET', '/ui/config.json', { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { temporalUiUrl: null, namespace: 'default' });
  });

  test('when the app knows the Temporal Web UI, then the dashboard gets its URL and namespace', async () => {
    const url = await listen(
      stubApp({ tokens: [], temporal: { uiUrl: 'http://temporal-ui.internal:8233', namespace: 'fleet' } }),
    );
    const res = await call(url, 'GET', '/ui/config.json', { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { temporalUiUrl: 'http://temporal-ui.internal:8233', namespace: 'fleet' });
  });
});

describe('a dashboard source that does not build', () => {
  test('when the bundle fails, then the script answers a logged 500 and the page still answers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-ui-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    for (const file of ['index.html', 'styles.css']) fs.copyFileSync(path.join(root, 'ui', file), path.join(dir, file));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
    fs.writeFileSync(path.join(dir, 'main.ts'), 'export const broken = (;\n');
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'error', pretty: false, name: 'ui-test', destination });
    const app = express();
    app.use(uiRouter({ settings: { temporalUiUrl: null, namespace: 'default' }, logger, sourceDir: dir }));
    app.use(notFoundRoute);
    app.use(errorHandler(logger));
    const url = await listen(app);

    const script = await call(url, 'GET', '/ui/assets/app.js', { token: null });
    assert.equal(script.status, 500);
    assert.equal(script.body.error.code, 'ui_bundle_failed');
    assert.doesNotMatch(JSON.stringify(script.body), /main\.ts|Unexpected|\/tmp\//, 'the answer names no source');
    assert.ok(
      lines.some((l) => /the dashboard bundle failed to build/.test(l) && /main\.ts:1:\d+: ERROR/.test(l)),
      `the build error is logged: ${lines.join('')}`,
    );
    const page = await fetch(`${url}/ui/`);
    assert.equal(page.status, 200, 'the page itself still answers');
    await page.text();
  });
});

describe('the dashboard source', () => {
  test('when it is typechecked with the DOM types (ui/tsconfig.json), then tsc reports nothing', async () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [tsc, '-p', path.join(root, 'ui', 'tsconfig.json'), '--noEmit'], {
        cwd: root,
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, output: out }));
    });
    assert.equal(code, 0, output);
  });
});
