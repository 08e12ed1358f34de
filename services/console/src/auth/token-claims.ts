import { ROLES } from './permissions';

/** What the console reads from a token (the server verifies it; this only decides what to show). */
export interface TokenClaims {
  subject: string;
  tenant: string;
  roles: string[];
  expiresAt?: Date;
}

/** The claims of a JWT, unverified; undefined when it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tenant and roles as the service's JWT verifier maps them (device-management
 * auth/jwt-verifier.ts): `tenant`, and `roles` as an array or a string separated by spaces or
 * commas, keeping only the roles the service knows.
 */
export function readTokenClaims(token: string): TokenClaims | undefined {
  const claims = decodeJwtPayload(token);
  if (!claims || typeof claims.tenant !== 'string') return undefined;
  const raw = claims.roles;
  const claimed: unknown[] = Array.isArray(raw)
    ? raw
    : typeof raw === 'string'
      ? raw.split(/[\s,]+/)
      : [];
  const roles = claimed.filter(
    (role): role is string =>
      typeof role === 'string' && (ROLES as readonly string[]).includes(role),
  );
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : '',
    tenant: claims.tenant,
    roles,
    ...(typeof claims.exp === 'number' && { expiresAt: new Date(claims.exp * 1000) }),
  };
}
