import { sharedFilter, topicMatches } from './topic-filter';

describe('topicMatches', () => {
  it.each([
    ['tenants/+/clients/+/status', 'tenants/t1/clients/c1/status', true],
    ['tenants/+/clients/+/status', 'tenants/t1/clients/c1/presence', false],
    ['tenants/+/clients/+/status', 'tenants/t1/clients/c1/status/extra', false],
    ['tenants/+/clients/+/status', 'tenants/t1/clients/status', false],
    ['tenants/#', 'tenants/t1/clients/c1/status', true],
    ['tenants/t1/#', 'tenants/t2/clients/c1/status', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/x', '$SYS/x', false],
    ['a/+', 'a/', true],
  ])('%s against %s is %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('sharedFilter', () => {
  it('prefixes the group', () => {
    expect(sharedFilter('device-management', 'tenants/+/clients/+/status')).toBe(
      '$share/device-management/tenants/+/clients/+/status',
    );
  });
  it('refuses a group that would change the filter', () => {
    expect(() => sharedFilter('a/b', 'x')).toThrow(/may not contain/);
  });
});
