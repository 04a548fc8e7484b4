// The OpenAPI 3 document of the API, generated from the zod schemas the routes validate requests with.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { version } from '../package.json';
import { registerClusterPaths } from './openapi/cluster-paths';
import { BEARER } from './openapi/define';
import { registerGuardPaths } from './openapi/guard-paths';
import { registerOperationPaths } from './openapi/operation-paths';
import { nameRequestSchemas } from './openapi/schemas';
import { registerSystemPaths } from './openapi/system-paths';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const DESCRIPTION = `Fleet-wide cluster operations (upgrades, rolling restarts, config changes), run durably on Temporal, wave after wave.

**Auth:** every \`/v1\` route takes \`Authorization: Bearer <token>\`; \`FLEET_API_TOKENS\` maps tokens to an identity and a role. Roles: \`viewer\` reads; \`operator\` changes the inventory and runs operations; \`approver\` approves waves; \`admin\` does everything. Each operation below names the role it needs (also as \`x-fleetwave-role\`).

**Errors** always look like \`{ "error": { "code", "message", "details", "requestId" } }\`.`;

/**
 * Query parameters arrive as strings and the schemas transform them (`limit=50` → 50), so the
 * generator puts the parsed default on a string parameter; a client needs the string it would send.
 */
function stringifyParameterDefaults(doc: OpenApiDocument): void {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, { parameters?: unknown[] }>)) {
      for (const parameter of operation.parameters ?? []) {
        const schema = (parameter as { schema?: { type?: unknown; default?: unknown } }).schema;
        if (schema?.type === 'string' && (typeof schema.default === 'number' || typeof schema.default === 'boolean')) {
          schema.default = String(schema.default);
        }
      }
    }
  }
}

export function buildOpenApiDocument(): OpenApiDocument {
  nameRequestSchemas();
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'A token listed in FLEET_API_TOKENS (`token=identity:role`, comma-separated).',
  });
  registerSystemPaths(registry);
  registerClusterPaths(registry);
  registerOperationPaths(registry);
  registerGuardPaths(registry);
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'fleetwave',
      version,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'this server' }],
    tags: [
      { name: 'clusters', description: 'the fleet inventory' },
      { name: 'operations', description: 'fleet-wide operations and their controls' },
      { name: 'guard', description: 'limits that hold across every operation, and change freezes' },
      { name: 'system', description: 'probes, metrics and this reference; no auth' },
    ],
  });
  stringifyParameterDefaults(doc);
  return doc;
}
