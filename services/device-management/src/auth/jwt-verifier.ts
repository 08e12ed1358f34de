import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isValidId } from '@opcfleet/contracts';
import type { AuthConfig } from '../config/app.config';
import { ROLES, type Principal, type Role } from './principal';

/** The token is missing, malformed, expired, badly signed or lacks a claim: answer 401. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/**
 * Verifies bearer tokens with jose: HS256 with a shared secret (development), or RS256/ES256
 * against the identity provider's JWKS (production; keys are cached and refreshed by jose).
 */
export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly config: AuthConfig) {
    if (config.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl));
      this.algorithms = ['RS256', 'ES256'];
    } else if (config.hs256Secret) {
      this.key = new TextEncoder().encode(config.hs256Secret);
      this.algorithms = ['HS256'];
    } else {
      throw new Error('JwtVerifier needs a JWKS URL or an HS256 secret');
    }
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        requiredClaims: ['exp'],
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      };
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw new InvalidTokenError(`invalid token: ${(error as Error).message}`);
    }
    this.refuseLongLived(payload);
    return principalFrom(payload);
  }

  /**
   * A stolen token is good until it expires: its lifetime (from `iat`, or from now when it has
   * none or one in the future) must not exceed the configured maximum.
   */
  private refuseLongLived({ exp, iat }: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = exp! - Math.min(iat ?? now, now);
    if (lifetime > this.config.maxLifetimeSeconds) {
      throw new InvalidTokenError(
        `invalid token: its lifetime of ${lifetime} s exceeds the maximum of ${this.config.maxLifetimeSeconds} s`,
      );
    }
  }
}

/** Longest `sub` taken: it is recorded as the actor of every event the caller causes. */
export const MAX_SUBJECT_LENGTH = 256;

function principalFrom(payload: JWTPayload): Principal {
  const { sub, tenant } = payload as JWTPayload & { tenant?: unknown };
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidTokenError(
      `invalid token: "sub" must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`,
    );
  }
  if (!isValidId(tenant)) throw new InvalidTokenError('invalid token: no valid "tenant" claim');
  const raw = (payload as { roles?: unknown }).roles;
  const claimed = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  const roles = claimed.filter((role): role is Role =>
    (ROLES as readonly unknown[]).includes(role),
  );
  return { subject: sub, tenantId: tenant, roles };
}
