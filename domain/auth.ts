// Roles, identities and the token list format: pure rules, no I/O.

export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  identity: string;
  role: Role;
}

/** Who does something through the API: the caller's principal and, when known, the request it came in. */
export interface Actor extends Principal {
  requestId?: string;
}

export interface TokenEntry extends Principal {
  token: string;
}

/** Which roles may act as `needed`: admin may do everything, viewers only read. */
export function roleAllows(role: Role, needed: Role): boolean {
  if (role === 'admin' || role === needed) return true;
  return needed === 'viewer';
}

/** Parses `token=identity:role` entries, comma-separated; throws with a message that never echoes a token. */
export function parseTokenList(raw: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  parts.forEach((part, index) => {
    const eq = part.indexOf('=');
    const token = eq > 0 ? part.slice(0, eq) : '';
    const [identity, role, ...rest] = (eq > 0 ? part.slice(eq + 1) : '').split(':');
    if (!token || !identity || !role || rest.length > 0) {
      throw new Error(`FLEET_API_TOKENS entry #${index + 1} must look like token=identity:role`);
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`FLEET_API_TOKENS entry #${index + 1} has unknown role '${role}' (${ROLES.join(', ')})`);
    }
    if (token.length < 8) {
      throw new Error(`FLEET_API_TOKENS entry #${index + 1}: tokens must be at least 8 characters`);
    }
    entries.push({ token, identity, role: role as Role });
  });
  if (new Set(entries.map((e) => e.token)).size !== entries.length) {
    throw new Error('FLEET_API_TOKENS lists the same token twice');
  }
  return entries;
}
