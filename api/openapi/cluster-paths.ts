// /v1/clusters in the OpenAPI document: the inventory routes with the schemas api/routes/clusters.ts parses with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CLUSTER_FILTER_FIELDS,
  ClusterBulkInputSchema,
  ClusterIdSchema,
  ClusterInputSchema,
  ClusterPatchSchema,
  MAX_BULK_CLUSTERS,
} from '../../domain/cluster';
import { defineRoute } from './define';
import { clusterExample } from './examples';
import { ClusterBulkResultSchema, ClusterDetailSchema, ClusterPageSchema, ClusterSchema } from './schemas';

const TAG = 'clusters';

const SECRET_REFUSED =
  "`secret_in_inventory` when a cluster's `adapter.config` holds a key named like a secret (`token`, `password`, `apiKey`, … at any depth): `details` give each key's path, never its value; name the secret with `tokenRef` instead. Nothing is written.";

const idParams = z.object({
  id: ClusterIdSchema.meta({ description: 'cluster id', example: clusterExample.input.id }),
});

const anyOf = (field: string) =>
  z
    .string()
    .optional()
    .meta({ description: `${field}: any of these values, comma-separated (or the parameter repeated)` });

/**
 * ClusterListQuerySchema is a record with a transform (it also takes `label.<key>`, which OpenAPI
 * cannot name), so its parameters are listed here from the same field list; the openapi test checks
 * that the real schema accepts every one of them.
 */
export const clusterListQueryParams = z.object({
  ...Object.fromEntries(CLUSTER_FILTER_FIELDS.map((field) => [field, anyOf(field)])),
  ids: anyOf('cluster ids'),
  limit: z
    .string()
    .regex(/^\d+$/)
    .optional()
    .meta({ description: 'page size, 1 to 1000 (default 100)', example: '100' }),
  cursor: z.string().optional().meta({ description: '`nextCursor` of the previous page' }),
});

export function registerClusterPaths(registry: OpenAPIRegistry): void {
  defineRoute(registry, {
    method: 'post',
    path: '/v1/clusters',
    operationId: 'upsertClusters',
    tag: TAG,
    role: 'operator',
    summary: 'Create or replace one cluster, or many at once',
    description: `Send one cluster, or \`{ "clusters": [...] }\` (1 to ${MAX_BULK_CLUSTERS}) to write them all in one transaction. A cluster with the same id is replaced (it keeps its createdAt). Every write is audited.`,
    body: {
      schema: z.union([ClusterInputSchema, ClusterBulkInputSchema]),
      required: true,
      examples: {
        one: { summary: 'one cluster', value: clusterExample.input },
        bulk: { summary: 'many clusters', value: { clusters: [clusterExample.input] } },
      },
    },
    answers: {
      201: {
        description: 'created or replaced: the cluster, or `{ clusters, count }` for a bulk body',
        schema: z.union([ClusterSchema, ClusterBulkResultSchema]),
      },
    },
    errors: {
      400: SECRET_REFUSED,
      409: '`cluster_leased`: a cluster in the request is leased by a running operation.',
    },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/v1/clusters',
    operationId: 'listClusters',
    tag: TAG,
    role: 'viewer',
    summary: 'List the inventory, filtered and paged',
    description:
      'Filters are ANDed; each takes any of several values. Label filters are `label.<key>=<value>` (e.g. `label.team=core`), all must match. Unknown parameters are a 400. Ordered by id; follow `nextCursor`.',
    query: clusterListQueryParams,
    answers: { 200: { description: 'one page of clusters', schema: ClusterPageSchema } },
  });

  defineRoute(registry, {
    method: 'get',
    path: '/v1/clusters/{id}',
    operationId: 'getCluster',
    tag: TAG,
    role: 'viewer',
    summary: 'One cluster, with its lease and recent runs',
    params: idParams,
    answers: { 200: { description: 'the cluster', schema: ClusterDetailSchema } },
    errors: { 404: 'The cluster does not exist.' },
  });

  defineRoute(registry, {
    method: 'patch',
    path: '/v1/clusters/{id}',
    operationId: 'patchCluster',
    tag: TAG,
    role: 'operator',
    summary: 'Change some fields of a cluster',
    description: 'Any field but the id; `labels` replaces the whole map. Refused while an operation holds the cluster.',
    params: idParams,
    body: {
      schema: ClusterPatchSchema,
      required: true,
      examples: { version: { summary: 'record a new version', value: { version: '3.7.1' } } },
    },
    answers: { 200: { description: 'the updated cluster', schema: ClusterSchema } },
    errors: {
      400: SECRET_REFUSED,
      404: 'The cluster does not exist.',
      409: '`cluster_leased`: an operation holds the cluster.',
    },
  });

  defineRoute(registry, {
    method: 'delete',
    path: '/v1/clusters/{id}',
    operationId: 'deleteCluster',
    tag: TAG,
    role: 'operator',
    summary: 'Remove a cluster from the inventory',
    params: idParams,
    answers: { 204: { description: 'deleted' } },
    errors: { 404: 'The cluster does not exist.', 409: '`cluster_leased`: an operation holds the cluster.' },
  });
}
