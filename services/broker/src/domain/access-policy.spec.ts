import { mayPublish, maySubscribe } from './access-policy';
import { BrokerIdentity } from './identity';

const device: BrokerIdentity = { kind: 'device', tenantId: 'acme', clientId: 'press-7' };
const service: BrokerIdentity = { kind: 'service', name: 'opcfleet-service' };
const own = 'tenants/acme/clients/press-7';

describe('device publishing', () => {
  it.each(['status', 'state', 'presence'])('may publish its own %s', (channel) => {
    expect(mayPublish(device, `${own}/${channel}`)).toEqual({ allowed: true });
  });

  it.each([
    ['its own commands', `${own}/commands/update`],
    ['its own cancel commands', `${own}/commands/cancel`],
    ['its own root', own],
    ['an unknown channel of its own tree', `${own}/telemetry`],
    ['a sub-level of status', `${own}/status/extra`],
    ['a trailing slash', `${own}/status/`],
    ['another client of its tenant', 'tenants/acme/clients/press-8/status'],
    ['the same client id in another tenant', 'tenants/other/clients/press-7/status'],
    ['a client whose id starts like its own', 'tenants/acme/clients/press-70/status'],
    ['a tenant whose id starts like its own', 'tenants/acme2/clients/press-7/status'],
    ['a case variant of its tree', 'Tenants/acme/clients/press-7/status'],
    ['a case variant of its id', 'tenants/ACME/clients/press-7/status'],
    ['a leading slash', `/${own}/status`],
    ['a doubled slash', 'tenants//acme/clients/press-7/status'],
    ['a path-like escape', `${own}/../../press-8/status`],
    ['$SYS', '$SYS/broker/clients'],
    ['a shared-subscription name', `$share/g/${own}/status`],
    ['a top-level topic', 'status'],
    ['a wildcard +', 'tenants/acme/clients/+/status'],
    ['a wildcard #', `${own}/#`],
    ['a NUL character', `${own}/status\u0000`],
    ['a control character', `${own}/sta\ntus`],
    ['the empty topic', ''],
  ])('may not publish to %s', (_what, topic) => {
    expect(mayPublish(device, topic).allowed).toBe(false);
  });

  it('gives a reason for every refusal', () => {
    const decision = mayPublish(device, 'tenants/acme/clients/press-8/status');
    expect(decision).toEqual({ allowed: false, reason: "outside the device's own tree" });
  });
});

describe('device subscribing', () => {
  it.each([
    ['all its commands', `${own}/commands/#`],
    ['one command kind', `${own}/commands/update`],
    ['its cancel commands', `${own}/commands/cancel`],
    ['one level of commands', `${own}/commands/+`],
    ['its whole tree', `${own}/#`],
    ['its retained state', `${own}/state`],
    ['a wildcard kind below its root', `${own}/+/update`],
  ])('may subscribe to %s', (_what, filter) => {
    expect(maySubscribe(device, filter)).toEqual({ allowed: true });
  });

  it.each([
    ['everything', '#'],
    ['every top level', '+'],
    ['every tenant', 'tenants/#'],
    ['every client status', 'tenants/+/clients/+/status'],
    ['every client of its tenant', 'tenants/acme/clients/+/commands/#'],
    ['every tenant of its client id', 'tenants/+/clients/press-7/commands/#'],
    ['its tenant', 'tenants/acme/#'],
    ['its tenant clients level', 'tenants/acme/clients/#'],
    ['a wildcard where "clients" stands', 'tenants/acme/+/press-7/commands/#'],
    ['a wildcard where "tenants" stands', '+/acme/clients/press-7/commands/#'],
    ['another client', 'tenants/acme/clients/press-8/commands/#'],
    ['another tenant', 'tenants/other/clients/press-7/commands/#'],
    ['a prefix-alike client', 'tenants/acme/clients/press-70/commands/#'],
    ['$SYS', '$SYS/#'],
    ['a shared subscription of its own tree', `$share/g/${own}/commands/#`],
    ['a shared subscription of everything', '$share/g/#'],
    ['a misplaced #', `${own}/#/commands`],
    ['a # glued to a level', `${own}/commands#`],
    ['a + glued to a level', 'tenants/acme/clients/press-+/commands/#'],
    ['a NUL character', `${own}/commands/#\u0000`],
    ['the empty filter', ''],
    ['a leading slash', `/${own}/#`],
    ['a case variant', 'TENANTS/acme/clients/press-7/#'],
  ])('may not subscribe to %s', (_what, filter) => {
    expect(maySubscribe(device, filter).allowed).toBe(false);
  });
});

describe('service account', () => {
  it.each([
    'tenants/+/clients/+/status',
    '#',
    '$share/device-management/tenants/+/clients/+/status',
    '$SYS/#',
    `${own}/commands/update`,
  ])('may subscribe to %s', (filter) => {
    expect(maySubscribe(service, filter)).toEqual({ allowed: true });
  });

  it.each([`${own}/commands/update`, `${own}/commands/cancel`, `${own}/status`, 'anything/else'])(
    'may publish to %s',
    (topic) => {
      expect(mayPublish(service, topic)).toEqual({ allowed: true });
    },
  );

  it('may not publish to broker-reserved $ topics', () => {
    expect(mayPublish(service, '$SYS/broker/uptime').allowed).toBe(false);
  });

  it('may not use malformed filters either', () => {
    expect(maySubscribe(service, 'a/#/b').allowed).toBe(false);
    expect(mayPublish(service, 'tenants/+/clients/x/status').allowed).toBe(false);
  });
});

describe('nobody', () => {
  it('may do nothing', () => {
    expect(mayPublish(null, `${own}/status`)).toEqual({
      allowed: false,
      reason: 'not authenticated',
    });
    expect(maySubscribe(null, `${own}/commands/#`).allowed).toBe(false);
  });
});
