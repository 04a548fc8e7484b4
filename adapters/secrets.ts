// Resolving a cluster's `tokenRef` on the worker, at the moment an adapter calls its control plane: the
// environment variable FLEET_SECRET_<tokenRef> first, else the file <FLEET_SECRETS_DIR>/<tokenRef>.
//
// The value lives only in the adapter call that needs it: it is not cached (a rotated file takes effect on
// the next call), and no error, log line or payload carries it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TOKEN_REF_PATTERN } from '../domain/secrets';
import { ClusterApplyRejected, secretMissing } from './errors';

export const SECRET_ENV_PREFIX = 'FLEET_SECRET_';

export interface SecretSources {
  /** Where FLEET_SECRET_<tokenRef> is looked up: the worker's environment, read at each call. */
  env: Readonly<Record<string, string | undefined>>;
  /** FLEET_SECRETS_DIR: one file per secret, named by its tokenRef; without it only the environment counts. */
  dir?: string | null;
}

/** The secret's value, or a non-retryable `secret_missing:<tokenRef>` failure. */
export type SecretResolver = (tokenRef: string) => Promise<string>;

/** A file's content without the newline editors and `echo` add; other whitespace is part of the secret. */
const withoutTrailingNewline = (text: string) => text.replace(/\r?\n$/, '');

/** Why a file could not be read, by its error code only: the message of a read error may quote the path's content. */
const readProblem = (err: unknown) => {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' ? 'does not exist' : `cannot be read (${typeof code === 'string' ? code : 'error'})`;
};

export function createSecretResolver({ env, dir }: SecretSources): SecretResolver {
  return async (tokenRef) => {
    // The grammar keeps the name a plain file name (no separators, no dots) and a valid variable suffix.
    if (!TOKEN_REF_PATTERN.test(tokenRef)) {
      throw new ClusterApplyRejected('tokenRef must be 1 to 128 letters, digits or _ (the name of a secret)');
    }
    const variable = `${SECRET_ENV_PREFIX}${tokenRef}`;
    const fromEnv = env[variable];
    if (fromEnv) return fromEnv;
    if (!dir) throw secretMissing(tokenRef, `${variable} is not set and FLEET_SECRETS_DIR is not configured`);
    const file = path.join(dir, tokenRef);
    let content: string;
    try {
      content = withoutTrailingNewline(await readFile(file, 'utf8'));
    } catch (err) {
      throw secretMissing(tokenRef, `${variable} is not set and ${file} ${readProblem(err)}`);
    }
    if (!content) throw secretMissing(tokenRef, `${variable} is not set and ${file} is empty`);
    return content;
  };
}

/** For a worker given no secrets: every tokenRef is missing. */
export const noSecrets: SecretResolver = createSecretResolver({ env: {} });
