import { ConfigError, loadAppConfig } from './app.config';

const secret = 'x'.repeat(32);

describe('loadAppConfig', () => {
  it('applies defaults', () => {
    const config = loadAppConfig({ DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://db/x',
      eventStoreSchema: 'event_store',
      http: { port: 3000 },
      auth: { hs256Secret: secret },
    });
  });

  it('prepares the event store statements unless DATABASE_PREPARED_STATEMENTS is false (a transaction pooler)', () => {
    const env = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret };
    expect(loadAppConfig(env).databasePreparedStatements).toBe(true);
    expect(
      loadAppConfig({ ...env, DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements,
    ).toBe(false);
    expect(() => loadAppConfig({ ...env, DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(
      /DATABASE_PREPARED_STATEMENTS/,
    );
  });

  it('turns development sign-in on only when the caller made the development key', () => {
    const env = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret };
    expect(loadAppConfig(env).devSignIn).toBe(false);
    expect(loadAppConfig(env, { devSignIn: true }).devSignIn).toBe(true);
    expect(
      loadAppConfig(
        { DATABASE_URL: 'postgres://db/x', JWT_JWKS_URL: 'https://id.example/jwks.json' },
        { devSignIn: true },
      ).devSignIn,
    ).toBe(false);
  });

  it('names every wrong variable', () => {
    let error: unknown;
    try {
      loadAppConfig({ DATABASE_URL: 'mysql://db', HTTP_PORT: 'eighty', JWT_SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/HTTP_PORT/);
    expect(message).toMatch(/JWT_SECRET: must be at least 32/);
  });

  it('bounds token lifetimes at 24 hours unless JWT_MAX_LIFETIME_SECONDS says otherwise', () => {
    const base = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret };
    expect(loadAppConfig(base).auth.maxLifetimeSeconds).toBe(86_400);
    expect(
      loadAppConfig({ ...base, JWT_MAX_LIFETIME_SECONDS: '3600' }).auth.maxLifetimeSeconds,
    ).toBe(3600);
    for (const wrong of ['0', 'forever', '1.5', '31536001']) {
      expect(() => loadAppConfig({ ...base, JWT_MAX_LIFETIME_SECONDS: wrong })).toThrow(
        /JWT_MAX_LIFETIME_SECONDS/,
      );
    }
  });

  it('needs a way to verify tokens', () => {
    expect(() => loadAppConfig({ DATABASE_URL: 'postgres://db/x' })).toThrow(
      /JWT_SECRET.*JWT_JWKS_URL/,
    );
  });

  it('takes the embedded database when DATABASE_URL is absent', () => {
    expect(
      loadAppConfig({ JWT_SECRET: secret }, { databaseUrl: 'postgres://embedded' }).databaseUrl,
    ).toBe('postgres://embedded');
    expect(() => loadAppConfig({ JWT_SECRET: secret })).toThrow(/DATABASE_URL/);
  });

  describe('OpenID Connect sign-in for the console', () => {
    const production = {
      DATABASE_URL: 'postgres://db/x',
      JWT_JWKS_URL: 'https://id.example/jwks',
      OIDC_ISSUER: 'https://id.example',
      OIDC_CLIENT_ID: 'console',
    };

    it('is off unless OIDC_ISSUER and OIDC_CLIENT_ID are set, and checks the issuer of tokens', () => {
      expect(loadAppConfig({ DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret }).oidc).toBe(
        undefined,
      );
      const config = loadAppConfig({ ...production, OIDC_RESOURCE: 'https://fleet.example' });
      expect(config.oidc).toEqual({
        issuer: 'https://id.example',
        clientId: 'console',
        scopes: 'openid profile offline_access',
        resource: 'https://fleet.example',
      });
      expect(config.auth.issuer).toBe('https://id.example');
    });

    it('names what is missing or contradicts it', () => {
      const { OIDC_CLIENT_ID: _clientId, ...withoutClient } = production;
      expect(() => loadAppConfig(withoutClient)).toThrow(/OIDC_CLIENT_ID: set OIDC_ISSUER and/);
      const { JWT_JWKS_URL: _jwks, ...withoutKeys } = production;
      expect(() => loadAppConfig({ ...withoutKeys, JWT_SECRET: secret })).toThrow(
        /JWT_JWKS_URL: OIDC_ISSUER needs/,
      );
      expect(() => loadAppConfig({ ...production, JWT_ISSUER: 'https://other.example' })).toThrow(
        /JWT_ISSUER: must equal OIDC_ISSUER/,
      );
      expect(() => loadAppConfig({ ...production, OIDC_ISSUER: 'not a url' })).toThrow(
        /OIDC_ISSUER/,
      );
      expect(() => loadAppConfig({ ...production, OIDC_SCOPES: 'profile' })).toThrow(
        /OIDC_SCOPES: must include openid/,
      );
    });
  });

  describe('tracing (OpenTelemetry variables)', () => {
    const base = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret };

    it('is off without an endpoint, or with an empty one', () => {
      expect(loadAppConfig(base).tracing).toBeUndefined();
      expect(loadAppConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBeUndefined();
    });

    it('exports to {endpoint}/v1/traces, or to the traces endpoint as it is', () => {
      expect(
        loadAppConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing,
      ).toEqual({
        tracesUrl: 'http://collector:4318/v1/traces',
        serviceName: 'opcfleet-device-management',
        exportDelayMs: 5000,
      });
      expect(
        loadAppConfig({
          ...base,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
          OTEL_SERVICE_NAME: 'dm-eu-1',
        }).tracing,
      ).toMatchObject({
        tracesUrl: 'https://traces.example.com/otlp/v1/traces',
        serviceName: 'dm-eu-1',
      });
    });

    it('names a wrong endpoint', () => {
      expect(() =>
        loadAppConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }),
      ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    });
  });
});
