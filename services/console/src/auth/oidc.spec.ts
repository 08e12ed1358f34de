import {
  beginSignIn,
  completeSignIn,
  discover,
  endSessionUrl,
  readCallback,
  refreshDelayMs,
  refreshTokens,
  type OidcHttp,
  type OidcSettings,
  type ProviderMetadata,
  type TokenSet,
} from './oidc';
import { codeChallenge, randomToken } from './pkce';

const settings: OidcSettings = {
  issuer: 'https://id.example/realms/plant',
  clientId: 'console',
  scopes: 'openid offline_access',
  resource: 'https://fleet.example',
};
const provider: ProviderMetadata = {
  issuer: settings.issuer,
  authorization_endpoint: 'https://id.example/auth',
  token_endpoint: 'https://id.example/token',
  end_session_endpoint: 'https://id.example/logout',
};
const redirectUri = 'https://console.example/';
const NOW = 1_800_000_000_000;

const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

/** A token endpoint that records each form and answers with `answer(form)`. */
function tokenEndpoint(answer: (form: Record<string, string>) => object) {
  const forms: Record<string, string>[] = [];
  const http: OidcHttp = {
    getJson: () => Promise.reject(new Error('unexpected GET')),
    postForm: async <T>(url: string, form: Record<string, string>) => {
      expect(url).toBe(provider.token_endpoint);
      forms.push(form);
      return answer(form) as T;
    },
  };
  return { http, forms };
}

/** The redirect a provider would send back for the sign-in started on `storage`. */
async function startedSignIn(storage = memoryStorage()) {
  const url = new URL(await beginSignIn(settings, provider, storage, redirectUri, '#/fleet'));
  return { storage, url, query: Object.fromEntries(url.searchParams) };
}

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes 43-character base64url verifiers, a new one each time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => randomToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('OpenID Connect sign-in', () => {
  it('sends the browser to the provider with a code challenge, state and nonce it remembers', async () => {
    const { storage, url, query } = await startedSignIn();
    expect(`${url.origin}${url.pathname}`).toBe(provider.authorization_endpoint);
    const pending = JSON.parse([...storage.items.values()][0]);
    expect(query).toEqual({
      response_type: 'code',
      client_id: 'console',
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await codeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      resource: 'https://fleet.example',
    });
    expect(pending.state).not.toBe(pending.nonce);
    expect(pending.returnTo).toBe('#/fleet');
  });

  it('exchanges the code with the verifier and keeps the tokens; the pending sign-in is used once', async () => {
    const { storage, query } = await startedSignIn();
    const verifier = JSON.parse([...storage.items.values()][0]).verifier;
    const { http, forms } = tokenEndpoint(() => ({
      token_type: 'Bearer',
      access_token: 'access-1',
      expires_in: 300,
      refresh_token: 'refresh-1',
      id_token: jwt({
        iss: settings.issuer,
        aud: 'console',
        nonce: query.nonce,
        exp: NOW / 1000 + 300,
      }),
    }));
    const callback = readCallback(`?code=the-code&state=${query.state}`)!;
    const { tokens, returnTo } = await completeSignIn(
      settings,
      provider,
      storage,
      http,
      redirectUri,
      callback,
      NOW,
    );
    expect(forms).toEqual([
      {
        grant_type: 'authorization_code',
        code: 'the-code',
        redirect_uri: redirectUri,
        client_id: 'console',
        code_verifier: verifier,
        resource: 'https://fleet.example',
      },
    ]);
    expect(tokens).toMatchObject({
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      obtainedAt: NOW,
      expiresAt: NOW + 300_000,
    });
    expect(returnTo).toBe('#/fleet');
    expect(storage.items.size).toBe(0);
    // The same answer replayed finds nothing pending.
    await expect(
      completeSignIn(settings, provider, storage, http, redirectUri, callback, NOW),
    ).rejects.toThrow(/state mismatch/);
    expect(forms).toHaveLength(1);
  });

  it('refuses an answer to a sign-in this tab did not start, before spending the code', async () => {
    const { storage } = await startedSignIn();
    const { http, forms } = tokenEndpoint(() => ({}));
    await expect(
      completeSignIn(
        settings,
        provider,
        storage,
        http,
        redirectUri,
        { code: 'c', state: 'forged' },
        NOW,
      ),
    ).rejects.toThrow(/state mismatch/);
    expect(forms).toEqual([]);
    expect(storage.items.size).toBe(0);
  });

  it("refuses an ID token without this sign-in's nonce, for another client or expired", async () => {
    const idTokens = (nonce: string) => [
      { iss: settings.issuer, aud: 'console', nonce: 'replayed', exp: NOW / 1000 + 60 },
      { iss: settings.issuer, aud: 'another', nonce, exp: NOW / 1000 + 60 },
      { iss: 'https://evil.example', aud: 'console', nonce, exp: NOW / 1000 + 60 },
      { iss: settings.issuer, aud: ['console'], nonce, exp: NOW / 1000 - 1 },
    ];
    const refusals: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { storage, query } = await startedSignIn();
      const claims = idTokens(query.nonce)[i];
      const { http } = tokenEndpoint(() => ({
        token_type: 'Bearer',
        access_token: 'a',
        id_token: jwt(claims),
      }));
      await completeSignIn(
        settings,
        provider,
        storage,
        http,
        redirectUri,
        { code: 'c', state: query.state },
        NOW,
      ).catch((error: Error) => refusals.push(error.message));
    }
    expect(refusals).toEqual([
      'the ID token does not carry our nonce',
      'the ID token is for another client',
      'the ID token is of another issuer',
      'the ID token has expired',
    ]);
  });

  it("says why the provider refused, when the answer is this tab's", async () => {
    const { storage, query } = await startedSignIn();
    const callback = readCallback(
      `?error=access_denied&error_description=End-User+aborted&state=${query.state}`,
    )!;
    await expect(
      completeSignIn(
        settings,
        provider,
        storage,
        tokenEndpoint(() => ({})).http,
        redirectUri,
        callback,
      ),
    ).rejects.toThrow('the provider refused the sign-in: End-User aborted');
    expect(readCallback('')).toBeUndefined();
    expect(readCallback('?code=only')).toBeUndefined();
  });

  it('takes a discovery document only from the issuer it was asked about, with S256', async () => {
    const serving = (document: object): OidcHttp => ({
      getJson: async <T>(url: string) => {
        expect(url).toBe(`${settings.issuer}/.well-known/openid-configuration`);
        return document as T;
      },
      postForm: () => Promise.reject(new Error('unexpected POST')),
    });
    await expect(discover(settings, serving(provider))).resolves.toEqual(provider);
    await expect(
      discover(settings, serving({ ...provider, issuer: 'https://evil.example' })),
    ).rejects.toThrow(/not https:\/\/id.example/);
    await expect(
      discover(settings, serving({ ...provider, code_challenge_methods_supported: ['plain'] })),
    ).rejects.toThrow(/S256/);
  });
});

describe('keeping the session', () => {
  const tokens: TokenSet = {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    idToken: 'id-1',
    obtainedAt: NOW,
    expiresAt: NOW + 600_000,
  };

  it('refreshes a minute before expiry, or a quarter of a short lifetime before', () => {
    expect(refreshDelayMs(tokens, NOW)).toBe(540_000);
    expect(refreshDelayMs({ ...tokens, expiresAt: NOW + 20_000 }, NOW)).toBe(15_000);
    expect(refreshDelayMs(tokens, NOW + 590_000)).toBe(0);
  });

  it('refreshes with the refresh token, keeping what the provider does not send again', async () => {
    const { http, forms } = tokenEndpoint(() => ({
      token_type: 'bearer',
      access_token: 'access-2',
      expires_in: 60,
    }));
    const next = await refreshTokens(settings, provider, http, tokens, NOW + 1000);
    expect(forms).toEqual([
      {
        grant_type: 'refresh_token',
        refresh_token: 'refresh-1',
        client_id: 'console',
        resource: 'https://fleet.example',
      },
    ]);
    expect(next).toEqual({
      accessToken: 'access-2',
      refreshToken: 'refresh-1',
      idToken: 'id-1',
      obtainedAt: NOW + 1000,
      expiresAt: NOW + 61_000,
    });
  });

  it("signs out at the provider's end-session endpoint, when it has one", () => {
    const url = new URL(endSessionUrl(settings, provider, tokens, redirectUri)!);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'console',
      post_logout_redirect_uri: redirectUri,
      id_token_hint: 'id-1',
    });
    expect(
      endSessionUrl(
        settings,
        { ...provider, end_session_endpoint: undefined },
        tokens,
        redirectUri,
      ),
    ).toBeUndefined();
  });
});
