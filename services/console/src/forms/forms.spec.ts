import { configFormValues, toConfigSettings } from './config-form';
import { parseLabels } from './labels';
import { toUpdateRequest } from './update-form';

describe('the update form', () => {
  it('builds the request the API takes, without an empty digest', () => {
    expect(
      toUpdateRequest({
        image: ' registry.local/opc-core:2.0.0 ',
        targetVersion: '2.0.0',
        imageDigest: '',
      }),
    ).toEqual({
      ok: true,
      request: { image: 'registry.local/opc-core:2.0.0', targetVersion: '2.0.0' },
    });
  });

  it('names each failing field with the contracts schema', () => {
    const result = toUpdateRequest({
      image: 'Not An Image',
      targetVersion: '',
      imageDigest: 'md5:1',
    });
    expect(result.ok).toBe(false);
    expect(Object.keys(!result.ok ? result.errors : {}).sort()).toEqual([
      'image',
      'imageDigest',
      'targetVersion',
    ]);
  });
});

describe('the configuration form', () => {
  it('starts from a valid configuration and sends numbers as numbers', () => {
    const result = toConfigSettings(configFormValues());
    expect(result.ok).toBe(true);
    expect(result.ok && result.settings.nodes[0].samplingIntervalMs).toBe(1000);
  });

  it('puts each schema error on its field, half-typed numbers included', () => {
    const values = configFormValues();
    values.nodes[0].samplingIntervalMs = '5';
    values.nodes[0].publishingIntervalMs = '10x';
    values.endpoints[0].securityPolicy = 'None';
    const result = toConfigSettings(values);
    expect(result.ok).toBe(false);
    const errors = !result.ok ? result.errors : {};
    expect(errors['nodes.0.samplingIntervalMs']).toMatch(/10/);
    expect(errors['nodes.0.publishingIntervalMs']).toBeDefined();
    expect(errors['endpoints.0.securityPolicy']).toMatch(/does not fit/);
  });

  it('keeps what the form does not edit (user identity, deadband) from the current configuration', () => {
    const current = {
      endpoints: [
        {
          name: 'a',
          url: 'opc.tcp://a:4840',
          securityMode: 'Sign',
          securityPolicy: 'Basic256Sha256',
          userIdentity: { type: 'username', username: 'u', passwordRef: 'vault:u' },
        },
      ],
      nodes: [
        {
          endpoint: 'a',
          nodeId: 'ns=2;s=X',
          samplingIntervalMs: 100,
          publishingIntervalMs: 100,
          deadband: { type: 'absolute', value: 1 },
        },
      ],
      buffering: { maxMessages: 10, maxBytes: 2048, overflowPolicy: 'dropNewest' },
    };
    expect(toConfigSettings(configFormValues(current))).toEqual({ ok: true, settings: current });
  });
});

describe('labels typed as text', () => {
  it('reads key=value pairs and refuses anything else', () => {
    expect(parseLabels('site=plant-7, line = A')).toEqual({
      ok: true,
      labels: { site: 'plant-7', line: 'A' },
    });
    expect(parseLabels('')).toEqual({ ok: true, labels: {} });
    expect(parseLabels('site')).toEqual({ ok: false, error: '"site" is not key=value' });
  });
});
