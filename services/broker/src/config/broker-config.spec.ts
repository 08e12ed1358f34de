import { DEFAULT_SERVICE_ACCOUNTS } from '../domain/identity';
import { BrokerConfigError, brokerOptionsFromEnv, parseBrokerEnv } from './broker-config';

describe('broker configuration from the environment', () => {
  it('defaults to a loopback TCP listener, no TLS, no anonymous clients', async () => {
    const options = await brokerOptionsFromEnv(parseBrokerEnv({}));
    expect(options).toEqual({
      host: '127.0.0.1',
      port: 1883,
      tlsPort: 8883,
      tls: undefined,
      users: undefined,
      serviceAccounts: DEFAULT_SERVICE_ACCOUNTS,
      allowAnonymous: false,
      maxPacketBytes: 1024 * 1024,
    });
  });

  it.each([
    [{ BROKER_PORT: 'abc' }, /^BROKER_PORT: /],
    [{ BROKER_TLS_PORT: '70000' }, /^BROKER_TLS_PORT: /],
    [{ BROKER_ALLOW_ANONYMOUS: 'yes' }, /^BROKER_ALLOW_ANONYMOUS: /],
    [{ BROKER_TLS_CERT: '/x.crt' }, /set all three/],
    [{ BROKER_PORT: 'off' }, /^BROKER_PORT: "off" needs TLS/],
    [{ BROKER_MAX_PACKET_BYTES: '1mb' }, /^BROKER_MAX_PACKET_BYTES: must be a number/],
    [{ BROKER_MAX_PACKET_BYTES: '100' }, /^BROKER_MAX_PACKET_BYTES: must be at least 1024/],
    [{ BROKER_MAX_PACKET_BYTES: '300000000' }, /^BROKER_MAX_PACKET_BYTES: must be at most/],
  ])('fails fast naming the variable: %j', (env, message) => {
    expect(() => parseBrokerEnv(env)).toThrow(BrokerConfigError);
    expect(() => parseBrokerEnv(env)).toThrow(message);
  });

  it('takes a packet size limit in bytes', async () => {
    const options = await brokerOptionsFromEnv(
      parseBrokerEnv({ BROKER_MAX_PACKET_BYTES: '65536' }),
    );
    expect(options.maxPacketBytes).toBe(65536);
  });

  it('names the variable whose file cannot be read', async () => {
    const env = parseBrokerEnv({
      BROKER_TLS_CERT: '/nonexistent/broker.crt',
      BROKER_TLS_KEY: '/nonexistent/broker.key',
      BROKER_TLS_CA: '/nonexistent/ca.crt',
    });
    await expect(brokerOptionsFromEnv(env)).rejects.toThrow(/^BROKER_TLS_CERT: cannot read/);
  });

  it('turns a plain service password into a checked account', async () => {
    const options = await brokerOptionsFromEnv(
      parseBrokerEnv({ BROKER_SERVICE_PASSWORD: 'pw', BROKER_SERVICE_ACCOUNTS: 'svc-a, svc-b' }),
    );
    expect(options.serviceAccounts).toEqual(['svc-a', 'svc-b']);
    await expect(options.users!.check('svc-a', 'pw')).resolves.toBe(true);
    await expect(options.users!.check('svc-b', 'pw')).resolves.toBe(false);
  });
});
