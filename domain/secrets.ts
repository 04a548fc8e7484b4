// Secrets stay out of the inventory: which adapter config keys are named like one, and the grammar of
// `tokenRef`, the name under which a worker finds a secret instead.
import { z } from 'zod';
import { FleetError, type ErrorDetail } from './errors';

/** A secret's name: a valid environment variable suffix and a file name that cannot leave its directory. */
export const TOKEN_REF_PATTERN = /^[A-Za-z0-9_]{1,128}$/;

// The value is never quoted back: a secret pasted into tokenRef by mistake must not reach an error answer.
export const TokenRefSchema = z
  .string()
  .regex(TOKEN_REF_PATTERN, 'tokenRef must be 1 to 128 letters, digits or _ (the name of a secret, not the secret)');

/**
 * Names are compared lowercased with everything but letters and digits removed, so `api_key`, `API-Key`
 * and `apiKey` are one name. A name containing one of these words is a secret's name…
 */
export const SECRET_WORDS = [
  'token',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'accesskey',
  'privatekey',
  'signingkey',
  'credential',
  'bearer',
  'authorization',
  'cookie',
] as const;
/** …and so is a name that is exactly one of these (short words that are part of harmless names, like `author`). */
export const SECRET_NAMES = ['auth', 'pwd', 'pass'] as const;
/** A name ending in `Ref` (`tokenRef`) names a secret kept elsewhere: that is the point, so it is allowed. */
const REFERENCE_SUFFIX = 'ref';

const normalized = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

export function isSecretKey(key: string): boolean {
  const name = normalized(key);
  if (name.endsWith(REFERENCE_SUFFIX)) return false;
  return (SECRET_NAMES as readonly string[]).includes(name) || SECRET_WORDS.some((word) => name.includes(word));
}

const MAX_DEPTH = 64;

/** Dotted paths (array items by index) of every secret-named key in `value`, under `prefix`; its value is never read. */
export function findSecretKeys(value: unknown, prefix = '', depth = 0): string[] {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return [];
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isSecretKey(key)) return [path];
    return findSecretKeys(child, path, depth + 1);
  });
}

export interface SecretKeyFound {
  path: string;
  /** The cluster holding it, when the request names one (a bulk create lists many). */
  clusterId?: string;
}

/** 400 `secret_in_inventory`: names where the secret-named keys are, never what they hold. */
export class SecretInInventory extends FleetError {
  constructor(found: SecretKeyFound[]) {
    const details: ErrorDetail[] = found.slice(0, 50).map(({ path, clusterId }) => ({
      path,
      ...(clusterId === undefined ? {} : { clusterId }),
      message: 'named like a secret: keep the secret on the workers and name it with adapter.config.tokenRef',
    }));
    const paths = found.map((f) => f.path);
    super(
      400,
      'secret_in_inventory',
      `secrets are not stored in the inventory (${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}): ` +
        'put the secret in FLEET_SECRET_<name> or the file <FLEET_SECRETS_DIR>/<name> on the workers and set adapter.config.tokenRef to <name>',
      details,
    );
  }
}

/**
 * Throws SecretInInventory when any cluster's adapter config holds a secret-named key. `at(i)` is where
 * cluster i sits in the request (`clusters.3` in a bulk create, nothing for a single cluster or a patch).
 */
export function refuseSecretsInInventory(
  clusters: readonly { id?: string; adapter?: { config?: unknown } }[],
  at: (index: number) => string = () => '',
): void {
  const found = clusters.flatMap((cluster, i) =>
    findSecretKeys(cluster.adapter?.config, [at(i), 'adapter.config'].filter(Boolean).join('.')).map((path) => ({
      path,
      ...(cluster.id === undefined ? {} : { clusterId: cluster.id }),
    })),
  );
  if (found.length > 0) throw new SecretInInventory(found);
}
