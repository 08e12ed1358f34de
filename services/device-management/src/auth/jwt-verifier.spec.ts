import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidTokenError, JwtVerifier } from './jwt-verifier';
import { mintDevToken } from './mint-dev-token';

const secret = 'a-development-secret-of-32-characters!';
const DAY = 86_400;

describe('JwtVerifier with HS256 (development)', () => {
  const verifier = new JwtVerifier({ hs256Secret: secret, maxLifetimeSeconds: DAY });

  it('reads subject, tenant and known roles', async () => {
    const token = await mintDevToken(secret, {
      tenant: 'acme',
      roles: ['operator', 'auditor'],
      subject: 'ana',
    });
    await expect(verifier.verify(token)).resolves.toEqual({
      subject: 'ana',
      tenantId: 'acme',
      roles: ['operator', 'auditor'],
    });
  });

  it.each([
    [
      'signed with another key',
      () => mintDevToken('x'.repeat(40), { tenant: 'acme', roles: ['admin'] }),
    ],
    ['expired', () => mintDevToken(secret, { tenant: 'acme', roles: ['admin'], expiresIn: '-1m' })],
    [
      'without a tenant',
      () =>
        new SignJWT({ roles: ['admin'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ana')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(secret)),
    ],
    [
      'with a tenant that is not a safe id',
      () =>
        new SignJWT({ tenant: 'a/b', roles: ['admin'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ana')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(secret)),
    ],
    ['that is not a JWT at all', async () => 'garbage'],
  ])('refuses a token %s', async (_, make) => {
    await expect(verifier.verify(await make())).rejects.toBeInstanceOf(InvalidTokenError);
  });

  describe('lifetime and subject', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const signed = (
      configure: (jwt: SignJWT) => SignJWT,
      subject: { sub?: unknown } = { sub: 'ana' },
    ) =>
      configure(
        new SignJWT({
          tenant: 'acme',
          roles: ['admin'],
          ...(subject as object),
        }).setProtectedHeader({
          alg: 'HS256',
        }),
      ).sign(new TextEncoder().encode(secret));
    const refusal = async (token: Promise<string>) => {
      const error = await verifier.verify(await token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidTokenError);
      return (error as Error).message;
    };

    it('refuses a token without exp: it would never expire', async () => {
      expect(await refusal(signed((jwt) => jwt.setIssuedAt()))).toMatch(/"exp" claim/);
    });

    it('takes a lifetime of exactly the maximum, and refuses one second more', async () => {
      const t = now();
      await expect(
        verifier.verify(await signed((jwt) => jwt.setIssuedAt(t).setExpirationTime(t + DAY))),
      ).resolves.toMatchObject({ subject: 'ana' });
      expect(
        await refusal(signed((jwt) => jwt.setIssuedAt(t).setExpirationTime(t + DAY + 1))),
      ).toMatch(/lifetime of 86401 s exceeds the maximum of 86400 s/);
    });

    it('counts from now when iat is missing or lies in the future', async () => {
      const t = now();
      expect(await refusal(signed((jwt) => jwt.setExpirationTime(t + DAY + 60)))).toMatch(
        /lifetime/,
      );
      expect(
        await refusal(signed((jwt) => jwt.setIssuedAt(t + DAY).setExpirationTime(t + DAY + 3600))),
      ).toMatch(/lifetime/);
      await expect(
        verifier.verify(await signed((jwt) => jwt.setExpirationTime(t + 3600))),
      ).resolves.toMatchObject({ subject: 'ana' });
    });

    it.each([
      ['empty', { sub: '' }],
      ['over 256 characters', { sub: 's'.repeat(257) }],
      ['a number', { sub: 42 }],
      ['missing', {}],
    ])('refuses a sub that is %s', async (_, subject) => {
      expect(
        await refusal(signed((jwt) => jwt.setIssuedAt().setExpirationTime('1h'), subject)),
      ).toMatch(/"sub" must be a non-empty string of at most 256 characters|"sub" claim/);
    });
  });

  it('drops roles it does not know', async () => {
    const token = await new SignJWT({ tenant: 'acme', roles: ['admin', 'root'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ana')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await verifier.verify(token)).roles).toEqual(['admin']);
  });

  it('checks issuer and audience when configured', async () => {
    const strict = new JwtVerifier({
      hs256Secret: secret,
      maxLifetimeSeconds: DAY,
      issuer: 'https://idp',
      audience: 'opcfleet',
    });
    const good = await mintDevToken(secret, {
      tenant: 'acme',
      roles: ['admin'],
      issuer: 'https://idp',
      audience: 'opcfleet',
    });
    const other = await mintDevToken(secret, {
      tenant: 'acme',
      roles: ['admin'],
      issuer: 'https://evil',
      audience: 'opcfleet',
    });
    await expect(strict.verify(good)).resolves.toMatchObject({ tenantId: 'acme' });
    await expect(strict.verify(other)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('JwtVerifier with a JWKS URL (production)', () => {
  let server: http.Server;
  let jwksUrl: string;
  let es256: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let rs256: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const ec = await generateKeyPair('ES256');
    const rsa = await generateKeyPair('RS256');
    es256 = ec.privateKey;
    rs256 = rsa.privateKey;
    const keys = [
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    ];
    server = http.createServer((_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const sign = (alg: 'ES256' | 'RS256', kid: string, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT({ tenant: 'acme', roles: ['auditor'] })
      .setProtectedHeader({ alg, kid })
      .setSubject('idp|42')
      .setExpirationTime('5m')
      .sign(key);

  it('accepts ES256 and RS256 tokens signed by a key of the set', async () => {
    const verifier = new JwtVerifier({ jwksUrl, maxLifetimeSeconds: DAY });
    await expect(verifier.verify(await sign('ES256', 'ec-1', es256))).resolves.toEqual({
      subject: 'idp|42',
      tenantId: 'acme',
      roles: ['auditor'],
    });
    await expect(verifier.verify(await sign('RS256', 'rsa-1', rs256))).resolves.toMatchObject({
      tenantId: 'acme',
    });
  });

  it('refuses an HS256 token even when it names a known kid', async () => {
    const verifier = new JwtVerifier({ jwksUrl, maxLifetimeSeconds: DAY });
    const forged = await new SignJWT({ tenant: 'acme', roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'ec-1' })
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token signed by a key outside the set', async () => {
    const verifier = new JwtVerifier({ jwksUrl, maxLifetimeSeconds: DAY });
    const stranger = await generateKeyPair('ES256');
    await expect(
      verifier.verify(await sign('ES256', 'ec-1', stranger.privateKey)),
    ).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
