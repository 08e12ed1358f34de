import {
  acksTopic,
  clientCommandsFilter,
  clientTreeFilter,
  commandTopic,
  InvalidTopicIdError,
  parseTopic,
  presenceTopic,
  stateTopic,
  statusTopic,
} from './topics';

const acme = { tenantId: 'acme', clientId: 'press-07' };

describe('topic builders', () => {
  it('put every channel under the client tree', () => {
    expect(commandTopic(acme, 'update')).toBe('tenants/acme/clients/press-07/commands/update');
    expect(commandTopic(acme, 'config')).toBe('tenants/acme/clients/press-07/commands/config');
    expect(commandTopic(acme, 'cancel')).toBe('tenants/acme/clients/press-07/commands/cancel');
    expect(statusTopic(acme)).toBe('tenants/acme/clients/press-07/status');
    expect(stateTopic(acme)).toBe('tenants/acme/clients/press-07/state');
    expect(presenceTopic(acme)).toBe('tenants/acme/clients/press-07/presence');
    expect(acksTopic(acme)).toBe('tenants/acme/clients/press-07/acks');
    expect(clientCommandsFilter(acme)).toBe('tenants/acme/clients/press-07/commands/#');
    expect(clientTreeFilter(acme)).toBe('tenants/acme/clients/press-07/#');
  });

  it.each([
    ['a slash', 'acme/evil'],
    ['a single-level wildcard', '+'],
    ['a multi-level wildcard', 'a#'],
    ['nothing', ''],
    ['a space', 'ac me'],
    ['a NUL character', 'acme\u0000'],
    ['a leading dot (no relative path tricks)', '..'],
    ['too many characters', 'x'.repeat(129)],
  ])('refuse a tenant id with %s', (_, tenantId) => {
    expect(() => statusTopic({ tenantId, clientId: 'c1' })).toThrow(InvalidTopicIdError);
  });

  it('refuse a hostile client id and name the field', () => {
    expect(() => statusTopic({ tenantId: 'acme', clientId: '#' })).toThrow(/clientId "#"/);
  });
});

describe('parseTopic', () => {
  it('reads tenant, client and channel back from every builder', () => {
    for (const topic of [
      commandTopic(acme, 'update'),
      commandTopic(acme, 'config'),
      commandTopic(acme, 'cancel'),
      statusTopic(acme),
      stateTopic(acme),
      presenceTopic(acme),
    ]) {
      const parsed = parseTopic(topic);
      expect(parsed).toMatchObject(acme);
      expect(topic.endsWith(parsed!.channel)).toBe(true);
    }
  });

  it.each([
    'tenants/acme/clients/press-07',
    'tenants/acme/clients/press-07/unknown',
    'tenants/acme/clients/press-07/status/extra',
    'tenants/+/clients/press-07/status',
    'tenants/acme/clients/#',
    'tenants//clients/press-07/status',
    'tenant/acme/clients/press-07/status',
    '$SYS/broker/uptime',
    '',
  ])('returns null for %j', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});
