import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SERVICE_ACCOUNTS,
  deviceCommonName,
  describeIdentity,
  identityFromCommonName,
  serviceAccountOfReplica,
  sessionKey,
} from './identity';

const services = ['opcfleet-service'];

describe('identityFromCommonName', () => {
  it('reads a device topic root', () => {
    expect(identityFromCommonName('tenants/acme/clients/press-7', services)).toEqual({
      kind: 'device',
      tenantId: 'acme',
      clientId: 'press-7',
    });
  });

  it('reads a configured service account', () => {
    expect(identityFromCommonName('opcfleet-service', services)).toEqual({
      kind: 'service',
      name: 'opcfleet-service',
    });
  });

  it.each([
    'tenants/acme/clients/+',
    'tenants/#/clients/press-7',
    'tenants/acme/clients',
    'tenants/acme/clients/press-7/status',
    'tenants//clients/press-7',
    'tenant/acme/client/press-7',
    'acme:press-7',
    'tenants/acme/clients/press 7',
    'other-service',
    '',
  ])('refuses %j', (cn) => {
    expect(identityFromCommonName(cn, services)).toBeNull();
  });

  it('round-trips the CN the PKI issues', () => {
    const cn = deviceCommonName({ tenantId: 't1', clientId: 'c1' });
    expect(identityFromCommonName(cn, services)).toEqual({
      kind: 'device',
      tenantId: 't1',
      clientId: 'c1',
    });
  });
});

describe('sessionKey', () => {
  it('keeps two identities using the same client id apart', () => {
    const a = sessionKey({ kind: 'device', tenantId: 't', clientId: 'a' }, 'agent');
    const b = sessionKey({ kind: 'device', tenantId: 't', clientId: 'b' }, 'agent');
    const s = sessionKey({ kind: 'service', name: 'opcfleet-service' }, 'agent');
    expect(new Set([a, b, s]).size).toBe(3);
  });

  it('is stable for one identity and client id', () => {
    const id = { kind: 'service', name: 'svc' } as const;
    expect(sessionKey(id, 'x')).toBe(sessionKey(id, 'x'));
    expect(describeIdentity(id)).toBe('service:svc');
  });
});

describe('service accounts, one per replica', () => {
  it('names replica 1 opcfleet-service and the others opcfleet-service-{n}', () => {
    expect(serviceAccountOfReplica(1)).toBe('opcfleet-service');
    expect(serviceAccountOfReplica(2)).toBe('opcfleet-service-2');
    expect(DEFAULT_SERVICE_ACCOUNTS).toHaveLength(16);
    expect(new Set(DEFAULT_SERVICE_ACCOUNTS).size).toBe(16);
  });

  it.each([0, 17, 1.5])('has no replica %s', (n) => {
    expect(() => serviceAccountOfReplica(n)).toThrow(RangeError);
  });

  it('grants on Mosquitto (infra/mosquitto/secure.acl) exactly the accounts aedes trusts', () => {
    const acl = readFileSync(join(__dirname, '../../../../infra/mosquitto/secure.acl'), 'utf8');
    const users = acl
      .split('\n')
      .map((line) => /^user (\S+)$/.exec(line.trim())?.[1])
      .filter(Boolean);
    expect(users).toEqual(DEFAULT_SERVICE_ACCOUNTS);
  });
});
