// One helper that turns a route's facts (role, schemas, answers) into an OpenAPI operation, the same way for every route.
import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import type { Role } from '../../domain/auth';
import { ErrorBodySchema } from './schemas';

export const BEARER = 'bearerAuth';
export const ROLE_EXTENSION = 'x-fleetwave-role';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 503;

const ERROR_MEANING: Record<ErrorStatus, string> = {
  400: 'bad input (`validation_failed`, unknown fields included; `invalid_json`); never a 500',
  401: '`unauthorized`: no bearer token, or one the API does not know',
  403: "`forbidden`: the token's role does not allow this",
  404: '`not_found`: no such resource',
  409: 'state conflict',
  412: '`precondition_failed`: the resource changed since the version sent in `If-Match`',
  413: "`payload_too_large`: the body is over the API's size limit (send a bulk inventory in parts)",
  415: '`unsupported_media_type`: send the body as UTF-8 `application/json`',
  503: '`postgres_unavailable` or `temporal_unavailable`: a dependency is unreachable; try again',
};

export interface Answer {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  mediaType?: string;
  example?: unknown;
  headers?: ResponseConfig['headers'];
}

export interface RouteSpec {
  method: RouteConfig['method'];
  /** OpenAPI template, e.g. /v1/operations/{id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Undefined: a public route (no auth). */
  role?: Role;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: {
    schema: z.ZodType;
    required: boolean;
    description?: string;
    examples?: Record<string, { summary: string; value: unknown }>;
  };
  answers: Partial<Record<number, Answer>>;
  /** Why a route answers one of these, where it says more than the generic meaning. */
  errors?: Partial<Record<ErrorStatus, string>>;
}

function errorAnswer(status: ErrorStatus, why: string | undefined): ResponseConfig {
  return {
    description: why ? `${ERROR_MEANING[status]}. ${why}` : ERROR_MEANING[status],
    content: { 'application/json': { schema: ErrorBodySchema } },
  };
}

/** Every /v1 route can answer 400, 401, 503; 403 where a role below admin can be refused; 413/415 where a body is read. */
function implicitErrors(spec: RouteSpec): ErrorStatus[] {
  if (!spec.role) return [];
  const statuses: ErrorStatus[] = [400, 401, 503];
  if (spec.role !== 'viewer') statuses.push(403);
  if (spec.body) statuses.push(413, 415);
  return statuses;
}

/** Roles are not cumulative: any role reads, admin may do everything, the others only their own routes. */
function roleText(role: Role): string {
  if (role === 'viewer') return '`viewer` (any role)';
  return role === 'admin' ? '`admin`' : `\`${role}\` (or \`admin\`)`;
}

export function defineRoute(registry: OpenAPIRegistry, spec: RouteSpec): void {
  const responses: RouteConfig['responses'] = {};
  for (const [status, answer] of Object.entries(spec.answers)) {
    if (!answer) continue;
    const content = answer.schema
      ? {
          [answer.mediaType ?? 'application/json']: {
            schema: answer.schema,
            ...(answer.example === undefined ? {} : { example: answer.example }),
          },
        }
      : undefined;
    responses[status] = {
      description: answer.description,
      ...(content ? { content } : {}),
      ...(answer.headers ? { headers: answer.headers } : {}),
    };
  }
  const errorStatuses = new Set<ErrorStatus>([
    ...implicitErrors(spec),
    ...(Object.keys(spec.errors ?? {}).map(Number) as ErrorStatus[]),
  ]);
  for (const status of [...errorStatuses].sort()) responses[status] = errorAnswer(status, spec.errors?.[status]);

  const roleLine = spec.role
    ? `**Role:** ${roleText(spec.role)}; send \`Authorization: Bearer <token>\`.`
    : '**Role:** none (public, no token).';
  const route: RouteConfig = {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    description: [spec.description, roleLine].filter(Boolean).join('\n\n'),
    security: spec.role ? [{ [BEARER]: [] }] : [],
    [ROLE_EXTENSION]: spec.role ?? 'none',
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.headers ? { headers: spec.headers } : {}),
      ...(spec.body
        ? {
            body: {
              required: spec.body.required,
              ...(spec.body.description ? { description: spec.body.description } : {}),
              content: {
                'application/json': {
                  schema: spec.body.schema,
                  ...(spec.body.examples ? { examples: spec.body.examples } : {}),
                },
              },
            },
          }
        : {}),
    },
    responses,
  };
  registry.registerPath(route);
}
