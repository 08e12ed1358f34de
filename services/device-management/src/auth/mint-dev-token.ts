import { SignJWT } from 'jose';
import type { Role } from './principal';

export interface DevTokenClaims {
  subject?: string;
  tenant: string;
  roles: Role[];
  /** jose duration, e.g. '12h'. */
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

/** An HS256 token for development and tests, signed with the service's JWT_SECRET. */
export function mintDevToken(secret: string, claims: DevTokenClaims): Promise<string> {
  let jwt = new SignJWT({ tenant: claims.tenant, roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.subject ?? `dev-${claims.roles.join('-')}`)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '12h');
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
