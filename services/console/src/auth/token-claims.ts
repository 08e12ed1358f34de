/** What the console reads from a token (the server verifies it; this only decides what to show). */
export interface TokenClaims {
  subject: string;
  tenant: string;
  roles: string[];
  expiresAt?: Date;
}

export function readTokenClaims(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as {
      sub?: unknown;
      tenant?: unknown;
      roles?: unknown;
      exp?: unknown;
    };
    if (typeof claims.tenant !== 'string') return undefined;
    const roles = Array.isArray(claims.roles)
      ? claims.roles.filter((role): role is string => typeof role === 'string')
      : typeof claims.roles === 'string'
        ? claims.roles.split(' ').filter(Boolean)
        : [];
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : '',
      tenant: claims.tenant,
      roles,
      ...(typeof claims.exp === 'number' && { expiresAt: new Date(claims.exp * 1000) }),
    };
  } catch {
    return undefined;
  }
}
