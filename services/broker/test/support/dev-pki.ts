import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Reads certificates from infra/pki (the same CA the secure Mosquitto trusts). */
const PKI_DIR = resolve(__dirname, '../../../../infra/pki');
const OUT_DIR = process.env.PKI_OUT_DIR ?? join(PKI_DIR, 'out');

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

function makePki(...args: string[]): void {
  execFileSync('bash', [join(PKI_DIR, 'make-dev-pki.sh'), ...args], {
    env: { ...process.env, PKI_OUT_DIR: OUT_DIR },
    stdio: 'pipe',
  });
}

const pair = (prefix: string): KeyPair => ({
  cert: readFileSync(`${prefix}.crt`),
  key: readFileSync(`${prefix}.key`),
});

export function devPki() {
  makePki();
  return {
    ca: readFileSync(join(OUT_DIR, 'ca.crt')),
    broker: pair(join(OUT_DIR, 'broker')),
    service: pair(join(OUT_DIR, 'service')),
    /** Issues (once) the certificate of another service account, e.g. `opcfleet-service-2`. */
    serviceAccount(name: string): KeyPair {
      makePki('service', name);
      return pair(join(OUT_DIR, 'services', name));
    },
    /** Issues (once) the certificate of device `tenants/{tenantId}/clients/{clientId}`. */
    device(tenantId: string, clientId: string): KeyPair {
      makePki('client', tenantId, clientId);
      return pair(join(OUT_DIR, 'clients', tenantId, clientId));
    },
    /**
     * A certificate signed by the development CA for any CN, bypassing the script's id checks:
     * what a compromised or careless CA could issue.
     */
    arbitrary(commonName: string): KeyPair {
      const dir = mkdtempSync(join(tmpdir(), 'broker-pki-'));
      try {
        const file = (name: string) => join(dir, name);
        const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
        openssl(
          'genpkey',
          '-algorithm',
          'EC',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-out',
          file('k'),
        );
        writeFileSync(
          file('cnf'),
          `[req]\nprompt=no\ndistinguished_name=dn\n[dn]\nCN=${commonName}\n[ext]\nextendedKeyUsage=clientAuth\n`,
        );
        openssl('req', '-new', '-key', file('k'), '-config', file('cnf'), '-out', file('csr'));
        openssl(
          'x509',
          '-req',
          '-in',
          file('csr'),
          '-CA',
          join(OUT_DIR, 'ca.crt'),
          '-CAkey',
          join(OUT_DIR, 'ca.key'),
          '-CAcreateserial',
          '-CAserial',
          file('srl'),
          '-days',
          '1',
          '-extfile',
          file('cnf'),
          '-extensions',
          'ext',
          '-out',
          file('crt'),
        );
        return { cert: readFileSync(file('crt')), key: readFileSync(file('k')) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    /** Deletes the device certificates of a test tenant. */
    forgetTenant(tenantId: string): void {
      rmSync(join(OUT_DIR, 'clients', tenantId), { recursive: true, force: true });
    },
  };
}

export type DevPki = ReturnType<typeof devPki>;
