/** A valid OPC client configuration (libs/contracts schema), different per `version`. */
export function opcConfig(version: number) {
  return {
    endpoints: [
      {
        name: 'line1',
        url: `opc.tcp://plc-${version}.local:4840`,
        securityMode: 'None',
        securityPolicy: 'None',
      },
    ],
    nodes: [
      {
        endpoint: 'line1',
        nodeId: `ns=2;s=Line1.Temperature${version}`,
        samplingIntervalMs: 100,
        publishingIntervalMs: 1000,
      },
    ],
    buffering: { maxMessages: 1000, maxBytes: 1024 * 1024, overflowPolicy: 'dropOldest' },
  };
}
