import { validateOpcClientConfig } from './opc-client-config';

const validConfig = () => ({
  endpoints: [
    {
      name: 'line1',
      url: 'opc.tcp://plc-1.local:4840',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
    },
    {
      name: 'line2',
      url: 'opc.tcp://10.0.0.7:4840/UA/Server',
      securityMode: 'None',
      securityPolicy: 'None',
      userIdentity: { type: 'username', username: 'opc', passwordRef: 'secret://line2' },
    },
  ],
  nodes: [
    {
      endpoint: 'line1',
      nodeId: 'ns=2;s=Line1.Temperature',
      samplingIntervalMs: 100,
      publishingIntervalMs: 1000,
    },
    {
      endpoint: 'line2',
      nodeId: 'i=2258',
      samplingIntervalMs: 500,
      publishingIntervalMs: 500,
      deadband: { type: 'percent', value: 2 },
    },
  ],
  buffering: { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024, overflowPolicy: 'dropOldest' },
});

const paths = (input: unknown) => {
  const result = validateOpcClientConfig(input);
  return result.ok ? [] : result.errors.map((e) => e.path).sort();
};

describe('OPC Core Client config', () => {
  it('accepts a complete config and fills in anonymous identity where none is given', () => {
    const result = validateOpcClientConfig(validConfig());
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.endpoints[0].userIdentity).toEqual({ type: 'anonymous' });
  });

  it('refuses a security mode that does not fit the policy, on either side', () => {
    const config = validConfig();
    config.endpoints[0].securityPolicy = 'None';
    config.endpoints[1].securityPolicy = 'Basic256Sha256';
    expect(paths(config)).toEqual(['endpoints.0.securityPolicy', 'endpoints.1.securityPolicy']);
  });

  it('refuses a publishing interval shorter than the sampling interval', () => {
    const config = validConfig();
    config.nodes[0].publishingIntervalMs = 50;
    expect(paths(config)).toEqual(['nodes.0.publishingIntervalMs']);
  });

  it('refuses nodes that name no endpoint, and duplicate endpoint names', () => {
    const config = validConfig();
    config.nodes[1].endpoint = 'line9';
    config.endpoints[1].name = 'line1';
    expect(paths(config)).toEqual(['endpoints.1.name', 'nodes.1.endpoint']);
  });

  it('reports every bad field at once, not only the first', () => {
    expect(
      paths({
        endpoints: [{ name: '', url: 'http://plc', securityMode: 'Maybe', securityPolicy: 'None' }],
        nodes: [
          {
            endpoint: 'x',
            nodeId: 'Temperature',
            samplingIntervalMs: 1,
            publishingIntervalMs: 'fast',
          },
        ],
        buffering: { maxMessages: 0, maxBytes: 10, overflowPolicy: 'explode' },
      }),
    ).toEqual([
      'buffering.maxBytes',
      'buffering.maxMessages',
      'buffering.overflowPolicy',
      'endpoints.0.name',
      'endpoints.0.securityMode',
      'endpoints.0.url',
      'nodes.0.nodeId',
      'nodes.0.publishingIntervalMs',
      'nodes.0.samplingIntervalMs',
    ]);
  });

  it('refuses a config with no endpoint at all, and things that are not objects', () => {
    expect(paths({ ...validConfig(), endpoints: [] })).toContain('endpoints');
    expect(paths(null)).toEqual(['(root)']);
    expect(paths('endpoints')).toEqual(['(root)']);
  });
});
