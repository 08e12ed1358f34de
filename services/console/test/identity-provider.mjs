// A real OpenID provider for the console's sign-in stories: node-oidc-provider (an ES module,
// hence a child process of its own rather than a module inside jest). It prints its issuer as a
// JSON line, then reads one line from stdin: the console's origin (its redirect and
// post-logout URI, known only once the service has started with this issuer); then it prints
// {"ready":true}.
//
// The provider: one public client (PKCE required, refresh tokens), an account per entry of
// ACCOUNTS whose access tokens carry the `tenant` and `roles` claims the service reads, access
// tokens as JWT (RS256) for the service's audience (resource indicators), short-lived
// (ACCESS_TOKEN_TTL_SECONDS) so that a story sees a refresh.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const CLIENT_ID = process.env.CLIENT_ID ?? 'opcfleet-console';
const RESOURCE = process.env.RESOURCE ?? 'https://fleet.opcfleet.test';
const ACCESS_TOKEN_TTL_SECONDS = Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 600);
/** login -> claims (any password is taken: these are the provider's development pages). */
const ACCOUNTS = JSON.parse(process.env.ACCOUNTS ?? '{}');

let provider;
const server = createServer((request, response) => {
  if (provider) provider.callback()(request, response);
  else response.writeHead(503).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
console.log(
  JSON.stringify({ issuer, jwksUrl: `${issuer}/jwks`, clientId: CLIENT_ID, resource: RESOURCE }),
);

const lines = createInterface({ input: process.stdin });
const consoleOrigin = (await lines[Symbol.asyncIterator]().next()).value.trim();

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  format: 'jwk',
});
provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${consoleOrigin}/`],
      post_logout_redirect_uris: [`${consoleOrigin}/`],
    },
  ],
  jwks: { keys: [{ ...signingKey, kid: 'test-key', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'profile', 'fleet'],
  claims: { openid: ['sub'], profile: ['name'] },
  pkce: { required: () => true },
  findAccount: (_ctx, accountId) => {
    const account = ACCOUNTS[accountId];
    if (!account) return undefined;
    return { accountId, claims: () => ({ sub: accountId, name: account.name ?? accountId }) };
  },
  // The service's claims: `tenant` and `roles` in the access token (device-management's
  // auth/jwt-verifier.ts).
  extraTokenClaims: (_ctx, token) => {
    if (token.kind !== 'AccessToken') return undefined;
    const account = ACCOUNTS[token.accountId];
    return account && { tenant: account.tenant, roles: account.roles };
  },
  // The default issues one only with offline_access, which it grants only with prompt=consent
  // (asking for consent at every sign-in); many providers give public clients one anyway
  // (rotated at each use, as here).
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  clientBasedCORS: (_ctx, origin) => origin === consoleOrigin,
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'fleet',
          audience: RESOURCE,
          accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
console.log(JSON.stringify({ ready: true }));
