// The public routes in the OpenAPI document: probes, metrics, this document and its reference page.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ROLES } from '../../domain/auth';
import { defineRoute } from './define';
import { ReadinessSchema } from './page-schemas';

const TAG = 'system';

export function registerSystemPaths(registry: OpenAPIRegistry): void {
  defineRoute(registry, {
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tag: TAG,
    summary: 'Liveness: the process answers',
    answers: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tag: TAG,
    summary: 'Readiness: PostgreSQL and Temporal are reachable',
    description: 'Each check is bounded in time, so a probe answers promptly even when a dependency hangs.',
    answers: {
      200: { description: 'ready', schema: ReadinessSchema },
      503: { description: 'not ready: `checks` says which dependency failed', schema: ReadinessSchema },
    },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/v1/me',
    operationId: 'me',
    tag: TAG,
    role: 'viewer',
    summary: 'Who the token belongs to, and its role',
    description: 'Any role. A client shows only the actions that role may take (see the roles in the README).',
    answers: {
      200: {
        description: 'the caller',
        schema: z.object({
          identity: z.string().meta({ example: 'carol' }),
          role: z.enum(ROLES),
        }),
      },
    },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: TAG,
    summary: 'Prometheus metrics',
    description: 'The Prometheus text exposition format, for a scraper.',
    answers: {
      200: {
        description: 'metrics',
        mediaType: 'text/plain',
        schema: z.string().meta({ example: '# HELP http_requests_total …' }),
      },
    },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: TAG,
    summary: 'This document (OpenAPI 3)',
    description: 'Generated at start from the zod schemas that validate requests.',
    answers: { 200: { description: 'the OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: TAG,
    summary: 'API reference page (Swagger UI)',
    description: 'Renders /openapi.json; its scripts and styles are served from /docs/*, nothing from the internet.',
    answers: { 200: { description: 'the page', mediaType: 'text/html', schema: z.string() } },
  });
}
