import { codeChallenge, randomToken } from './pkce';
import { decodeJwtPayload } from './token-claims';

/**
 * OpenID Connect sign-in for a public client (the console): Authorization Code with PKCE
 * (S256), state and nonce checked, tokens kept by the caller in memory. Only the pending
 * sign-in (verifier, state, nonce, where to return) outlives the redirect, in sessionStorage,
 * and only until the callback reads it once.
 */

/** What the service tells the console (GET /api/v1/console/settings). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string;
  /** RFC 8707 resource indicator: the service, as the provider names it. */
  resource?: string;
}

/** The provider's discovery document, the fields the console uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
}

export interface TokenSet {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  obtainedAt: number;
  expiresAt: number;
}

export interface OidcHttp {
  getJson<T>(url: string): Promise<T>;
  postForm<T>(url: string, form: Record<string, string>): Promise<T>;
}

type SessionStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export class OidcSignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

const PENDING_KEY = 'opcfleet.oidc.pending';

export async function discover(settings: OidcSettings, http: OidcHttp): Promise<ProviderMetadata> {
  const metadata = await http.getJson<ProviderMetadata>(
    `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
  );
  // OpenID Connect Discovery 4.3: the document must be the issuer's own.
  if (metadata.issuer !== settings.issuer) {
    throw new OidcSignInError(`the provider says it is ${metadata.issuer}, not ${settings.issuer}`);
  }
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
    throw new OidcSignInError('the provider names no authorization or token endpoint');
  }
  const methods = metadata.code_challenge_methods_supported;
  if (methods && !methods.includes('S256')) {
    throw new OidcSignInError('the provider does not support PKCE with S256');
  }
  return metadata;
}

/**
 * Remembers a new state, nonce and PKCE verifier for the round trip, and returns the URL of the
 * provider's authorization endpoint to go to.
 */
export async function beginSignIn(
  settings: OidcSettings,
  provider: ProviderMetadata,
  storage: SessionStore,
  redirectUri: string,
  returnTo: string,
): Promise<string> {
  const pending: PendingSignIn = {
    state: randomToken(),
    nonce: randomToken(),
    verifier: randomToken(),
    returnTo,
  };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(provider.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri,
    scope: settings.scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    ...(settings.resource && { resource: settings.resource }),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

export type Callback =
  { code: string; state: string } | { error: string; description?: string; state?: string };

/** The provider's answer in the redirect's query, if this load is one. */
export function readCallback(search: string): Callback | undefined {
  const query = new URLSearchParams(search);
  const error = query.get('error');
  if (error) {
    return {
      error,
      ...(query.get('error_description') && { description: query.get('error_description')! }),
      ...(query.get('state') && { state: query.get('state')! }),
    };
  }
  const code = query.get('code');
  const state = query.get('state');
  return code && state ? { code, state } : undefined;
}

/**
 * Ends the round trip: the state must be the one this tab sent (else the answer was not asked
 * for here), the code is exchanged with the verifier, and the ID token must carry the nonce.
 * The pending sign-in is used once, whatever the outcome.
 */
export async function completeSignIn(
  settings: OidcSettings,
  provider: ProviderMetadata,
  storage: SessionStore,
  http: OidcHttp,
  redirectUri: string,
  callback: Callback,
  now: number = Date.now(),
): Promise<{ tokens: TokenSet; returnTo: string }> {
  const stored = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY);
  const pending = stored ? (JSON.parse(stored) as PendingSignIn) : undefined;
  if (!pending || callback.state !== pending.state) {
    throw new OidcSignInError('this sign-in was not started here (state mismatch): start again');
  }
  if ('error' in callback) {
    throw new OidcSignInError(
      `the provider refused the sign-in: ${callback.description ?? callback.error}`,
    );
  }
  const response = await http.postForm<TokenResponse>(provider.token_endpoint, {
    grant_type: 'authorization_code',
    code: callback.code,
    redirect_uri: redirectUri,
    client_id: settings.clientId,
    code_verifier: pending.verifier,
    ...(settings.resource && { resource: settings.resource }),
  });
  const tokens = tokenSetOf(response, now);
  checkIdToken(tokens.idToken, settings, provider, pending.nonce, now);
  return { tokens, returnTo: pending.returnTo };
}

/** A new access token with the refresh token (rotated or kept, as the provider answers). */
export async function refreshTokens(
  settings: OidcSettings,
  provider: ProviderMetadata,
  http: OidcHttp,
  current: TokenSet,
  now: number = Date.now(),
): Promise<TokenSet> {
  if (!current.refreshToken) throw new OidcSignInError('no refresh token: sign in again');
  const response = await http.postForm<TokenResponse>(provider.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: current.refreshToken,
    client_id: settings.clientId,
    ...(settings.resource && { resource: settings.resource }),
  });
  const next = tokenSetOf(response, now);
  return {
    ...next,
    refreshToken: next.refreshToken ?? current.refreshToken,
    idToken: next.idToken ?? current.idToken,
  };
}

/**
 * When to refresh: a quarter of the token's lifetime before it expires, at most a minute
 * before, so that calls never go out with an expired token and short tokens are not
 * refreshed in a loop.
 */
export function refreshDelayMs(tokens: TokenSet, now: number = Date.now()): number {
  const margin = Math.min(60_000, (tokens.expiresAt - tokens.obtainedAt) / 4);
  return Math.max(0, tokens.expiresAt - margin - now);
}

/** Where to send the browser to end the provider's session too, when it offers that. */
export function endSessionUrl(
  settings: OidcSettings,
  provider: ProviderMetadata,
  tokens: TokenSet,
  postLogoutRedirectUri: string,
): string | undefined {
  if (!provider.end_session_endpoint) return undefined;
  const url = new URL(provider.end_session_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  if (tokens.idToken) url.searchParams.set('id_token_hint', tokens.idToken);
  return url.toString();
}

interface TokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
}

function tokenSetOf(response: TokenResponse, now: number): TokenSet {
  if (!response.access_token || response.token_type?.toLowerCase() !== 'bearer') {
    throw new OidcSignInError('the provider answered without a bearer access token');
  }
  const exp = decodeJwtPayload(response.access_token)?.exp;
  const expiresAt =
    typeof response.expires_in === 'number'
      ? now + response.expires_in * 1000
      : typeof exp === 'number'
        ? exp * 1000
        : now + 5 * 60_000;
  return {
    accessToken: response.access_token,
    ...(response.id_token && { idToken: response.id_token }),
    ...(response.refresh_token && { refreshToken: response.refresh_token }),
    obtainedAt: now,
    expiresAt,
  };
}

/**
 * The ID token's claims (OpenID Connect Core 3.1.3.7). Its signature is not checked here: it
 * came straight from the token endpoint over TLS, which the specification accepts instead, and
 * the service verifies every access token it is given.
 */
function checkIdToken(
  idToken: string | undefined,
  settings: OidcSettings,
  provider: ProviderMetadata,
  nonce: string,
  now: number,
): void {
  const claims = idToken ? decodeJwtPayload(idToken) : undefined;
  if (!claims) throw new OidcSignInError('the provider answered without an ID token');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== provider.issuer)
    throw new OidcSignInError('the ID token is of another issuer');
  if (!audiences.includes(settings.clientId)) {
    throw new OidcSignInError('the ID token is for another client');
  }
  if (claims.nonce !== nonce) throw new OidcSignInError('the ID token does not carry our nonce');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) {
    throw new OidcSignInError('the ID token has expired');
  }
}
