// Bearer-token authentication and role checks; open `dev:admin` mode when no tokens are configured.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { roleAllows, type Principal, type Role, type TokenEntry } from '../../domain/auth';
import { Forbidden, Unauthorized } from '../../domain/errors';

const DEV_PRINCIPAL: Principal = { identity: 'dev', role: 'admin' };

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Finds who a bearer token belongs to; compares digests in constant time, token by token. */
export function createAuthenticator(tokens: TokenEntry[]): (header: string | undefined) => Principal {
  const known = tokens.map((t) => ({ digest: digest(t.token), principal: { identity: t.identity, role: t.role } }));
  return (header) => {
    if (known.length === 0) return DEV_PRINCIPAL;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) throw new Unauthorized();
    const candidate = digest(match[1]);
    let found: Principal | undefined;
    for (const entry of known) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal;
    }
    if (!found) throw new Unauthorized('the bearer token is not valid');
    return found;
  };
}

export function authenticate(authenticator: (header: string | undefined) => Principal): RequestHandler {
  return (req, res, next) => {
    res.locals.principal = authenticator(req.get('authorization'));
    next();
  };
}

export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) throw new Unauthorized();
    if (!roleAllows(principal.role, needed)) {
      throw new Forbidden(`role '${principal.role}' cannot do this; it needs '${needed}'`);
    }
    next();
  };
}
