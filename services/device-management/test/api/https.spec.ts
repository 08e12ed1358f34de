import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SecureVersion, type TLSSocket } from 'node:tls';
import { ConfigError, loadAppConfig } from '../../src/config/app.config';
import { createApp } from '../../src/app';
import { ApiApp } from '../support/api-app';
import { memoryLogger } from '../support/memory-logger';

/**
 * The API serving HTTPS itself (an installation without a gateway): TLS 1.3 only. The
 * development PKI's broker certificate (SAN 127.0.0.1) stands in for the API's.
 */
const PKI = join(__dirname, '../../../../infra/pki/out');
const tlsEnv = {
  HTTPS_CERT_FILE: join(PKI, 'broker.crt'),
  HTTPS_KEY_FILE: join(PKI, 'broker.key'),
};
const ca = readFileSync(join(PKI, 'ca.crt'));

describe('the API over HTTPS', () => {
  let api: ApiApp;
  beforeAll(async () => {
    api = await ApiApp.start({ env: tlsEnv });
  });
  afterAll(() => api?.stop());

  const port = () => Number(new URL(api.url).port);

  it('answers over TLS 1.3 and asks browsers to keep to HTTPS', async () => {
    expect(api.url).toMatch(/^https:\/\//);
    const answer = await new Promise<{ status?: number; hsts?: string; protocol: string | null }>(
      (resolve, reject) => {
        const req = httpsRequest(`${api.url}/health`, { ca }, (response) => {
          response.resume();
          resolve({
            status: response.statusCode,
            hsts: response.headers['strict-transport-security'],
            protocol: (response.socket as TLSSocket).getProtocol(),
          });
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer).toEqual({ status: 200, hsts: 'max-age=31536000', protocol: 'TLSv1.3' });
  });

  it('refuses a client that offers at most TLS 1.2', async () => {
    const handshake = (maxVersion: SecureVersion) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: port(), ca, maxVersion }, () => {
          resolve(`connected ${socket.getProtocol()}`);
          socket.end();
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(`refused ${error.code}`));
      });
    expect(await handshake('TLSv1.2')).toMatch(/^refused /);
    expect(await handshake('TLSv1.3')).toBe('connected TLSv1.3');
  });

  it('stops the start naming the variable when a file is missing or only one is set', async () => {
    const base = { DATABASE_URL: 'postgres://x/y', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadAppConfig({ ...base, HTTPS_CERT_FILE: tlsEnv.HTTPS_CERT_FILE })).toThrow(
      /HTTPS_CERT_FILE: set both HTTPS_CERT_FILE and HTTPS_KEY_FILE, or neither/,
    );
    const config = loadAppConfig({ ...base, ...tlsEnv, HTTPS_KEY_FILE: '/nonexistent/key.pem' });
    const refused = createApp(config, memoryLogger().logger);
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(/HTTPS_KEY_FILE: cannot read \/nonexistent\/key.pem/);
  });
});
