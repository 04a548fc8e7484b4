// GET /openapi.json and the /docs reference page (Swagger UI from local assets): public, no auth.
import { Router, type RequestHandler } from 'express';
import swaggerUi, { type SwaggerUiOptions } from 'swagger-ui-express';
import { buildOpenApiDocument } from '../openapi';

export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';

/**
 * Swagger UI's page carries inline <style> blocks and React sets style attributes, hence
 * 'unsafe-inline' for styles only; every script is a file under /docs/, and the page may talk to
 * this origin alone (the spec, "try it out"), so nothing can come from a CDN.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The files the page loads, and no others: swagger-ui-dist also ships a demo index.html that points at the petstore.
const ASSET =
  /^\/(?:swagger-ui(?:-bundle|-standalone-preset)?\.(?:js|css)|swagger-ui-init\.js|favicon-(?:16x16|32x32)\.png)$/;

const UI_OPTIONS: SwaggerUiOptions = {
  customSiteTitle: 'fleetwave API',
  swaggerUrl: OPENAPI_PATH,
  swaggerOptions: {
    url: OPENAPI_PATH,
    // The default validator badge fetches from validator.swagger.io.
    validatorUrl: null,
    docExpansion: 'list',
    displayRequestDuration: true,
    filter: true,
  },
};

const docsCsp: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  next();
};

export function docsRouter(): Router {
  const document = buildOpenApiDocument();
  // The template links its assets as ./x, which resolves to /x on /docs; absolute links work with or without the slash.
  const page = swaggerUi.generateHTML(undefined, UI_OPTIONS).replaceAll('"./', `"${DOCS_PATH}/`);
  const router = Router();

  router.get(OPENAPI_PATH, (_req, res) => {
    res.json(document);
  });

  router.get(DOCS_PATH, docsCsp, (_req, res) => {
    res.type('html').send(page);
  });

  router.use(
    DOCS_PATH,
    (req, _res, next) => next(ASSET.test(req.path) ? undefined : 'router'),
    docsCsp,
    ...swaggerUi.serveFiles(undefined, UI_OPTIONS),
  );

  return router;
}
