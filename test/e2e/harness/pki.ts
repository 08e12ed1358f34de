import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClientAddress } from '@opcfleet/contracts';
import { DEFAULT_SERVICE_ACCOUNT } from '../../../services/broker/src';
import { PKI_DIR, REPO_ROOT } from './paths';

const run = promisify(execFile);

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * The development CA and the certificate of a service account (infra/pki/make-dev-pki.sh):
 * `opcfleet-service` by default, or another one (each replica connects as its own, see
 * services/broker's serviceAccountOfReplica).
 */
export async function serviceTls(account = DEFAULT_SERVICE_ACCOUNT): Promise<TlsFiles> {
  const other = account !== DEFAULT_SERVICE_ACCOUNT;
  await run(
    'bash',
    [join(REPO_ROOT, 'infra/pki/make-dev-pki.sh'), ...(other ? ['service', account] : [])],
    {
      env: pkiEnv(),
    },
  );
  const prefix = other ? join(PKI_DIR, 'services', account) : join(PKI_DIR, 'service');
  return {
    caFile: join(PKI_DIR, 'ca.crt'),
    certFile: `${prefix}.crt`,
    keyFile: `${prefix}.key`,
  };
}

/** Device certificates (CN = the device's topic root), issued once per address and kept. */
export async function deviceTls(...devices: ClientAddress[]): Promise<Map<string, TlsFiles>> {
  const byTenant = new Map<string, string[]>();
  for (const { tenantId, clientId } of devices) {
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), clientId]);
  }
  for (const [tenantId, clientIds] of byTenant) {
    await run(
      'bash',
      [join(REPO_ROOT, 'infra/pki/make-dev-pki.sh'), 'client', tenantId, ...clientIds],
      {
        env: pkiEnv(),
      },
    );
  }
  const files = new Map<string, TlsFiles>();
  for (const { tenantId, clientId } of devices) {
    const prefix = join(PKI_DIR, 'clients', tenantId, clientId);
    files.set(`${tenantId}/${clientId}`, {
      caFile: join(PKI_DIR, 'ca.crt'),
      certFile: `${prefix}.crt`,
      keyFile: `${prefix}.key`,
    });
  }
  return files;
}

function pkiEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PKI_OUT_DIR: PKI_DIR };
}

/** Removes the device certificates of a test tenant. */
export async function forgetTenantTls(tenantId: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(join(PKI_DIR, 'clients', tenantId), { recursive: true, force: true });
}
