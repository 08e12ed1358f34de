import { deviceCommonName, describeIdentity, identityFromCommonName, sessionKey } from './identity';

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
