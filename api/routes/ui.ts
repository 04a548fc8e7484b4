// The dashboard at /ui: one index.html for every page, its script and stylesheet bundled from ui/ by esbuild
// on first request and kept in memory, and the two settings the page needs. Public like /docs: the page
// holds no data, and every read or action it makes goes through /v1 with the user's own token.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Router, type RequestHandler } from 'express';
import { build } from 'esbuild';
import { FleetError } from '../../domain/errors';
import type { Logger } from '../../logger';

export const UI_PATH = '/ui';
/** Every page of the dashboard answers the same index.html; the script reads the path. */
export const UI_PAGES = [UI_PATH, `${UI_PATH}/operations`, `${UI_PATH}/operations/:id`, `${UI_PATH}/plan`];
const DEFAULT_SOURCE_DIR = path.join(__dirname, '..', '..', 'ui');

/**
 * Everything comes from this origin and nothing runs inline: the script and the stylesheet are files, the
 * script only talks to the API, and no page may frame this one.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface UiSettings {
  /** Where wave workflows link to; null when the API does not know the Temporal Web UI. */
  temporalUiUrl: string | null;
  namespace: string;
}

export interface UiOptions {
  settings: UiSettings;
  logger: Logger;
  /** The dashboard's source folder (tests point it elsewhere). */
  sourceDir?: string;
}

interface Asset {
  type: string;
  body: Buffer;
}

/** The bundle's outputs by their /ui/assets name: app.js and app.css from main.ts and styles.css. */
async function bundle(sourceDir: string): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: { app: path.join(sourceDir, 'main.ts'), 'app-style': path.join(sourceDir, 'styles.css') },
    bundle: true,
    write: false,
    outdir: 'assets',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    tsconfig: path.join(sourceDir, 'tsconfig.json'),
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    if (name === 'app.js')
      assets.set('app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(file.contents) });
    if (name === 'app-style.css')
      assets.set('app.css', { type: 'text/css; charset=utf-8', body: Buffer.from(file.contents) });
  }
  return assets;
}

/** Files served as they are. */
const STATIC: Record<string, { file: string; type: string }> = {
  'icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

const uiCsp: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', UI_CSP);
  next();
};

export function uiRouter({ settings, logger, sourceDir = DEFAULT_SOURCE_DIR }: UiOptions): Router {
  let bundled: Promise<Map<string, Asset>> | undefined;
  let index: Promise<Buffer> | undefined;
  const router = Router();

  const bundleOnce = () => {
    bundled ??= bundle(sourceDir).catch((err: unknown) => {
      // Not kept: the next request builds again, so a fixed source needs no restart of a dev API.
      bundled = undefined;
      throw err;
    });
    return bundled;
  };

  router.get(UI_PAGES, uiCsp, async (_req, res) => {
    index ??= fs.readFile(path.join(sourceDir, 'index.html'));
    res.type('html').send(await index);
  });

  router.get(`${UI_PATH}/config.json`, (_req, res) => {
    res.json(settings);
  });

  router.get(`${UI_PATH}/assets/:id`, uiCsp, async (req, res, next) => {
    const name = String(req.params.id);
    const file = Object.hasOwn(STATIC, name) ? STATIC[name] : undefined;
    if (file) {
      res.type(file.type).send(await fs.readFile(path.join(sourceDir, file.file)));
      return;
    }
    if (name !== 'app.js' && name !== 'app.css') return next();
    let assets: Map<string, Asset>;
    try {
      assets = await bundleOnce();
    } catch (err) {
      const log = (res.locals.log as Logger | undefined) ?? logger;
      log.error({ err }, 'the dashboard bundle failed to build');
      return next(new FleetError(500, 'ui_bundle_failed', 'the dashboard could not be built; the API log says why'));
    }
    const asset = assets.get(name);
    if (!asset) return next();
    res.type(asset.type).send(asset.body);
  });

  return router;
}
