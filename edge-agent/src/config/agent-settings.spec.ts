import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  InvalidSettingsError,
  loadAgentSettings,
  loadTracingSettings,
  variableFor,
} from './agent-settings';

const required = {
  EDGE_AGENT_TENANT_ID: 'acme',
  EDGE_AGENT_CLIENT_ID: 'press-07',
  EDGE_AGENT_MQTT_URL: 'mqtt://127.0.0.1:1884',
  EDGE_AGENT_WORKLOAD_CONTAINER: 'opc-core',
  EDGE_AGENT_CONFIG_DIR: '/srv/opc-core/config',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAgentSettings(env);
  } catch (err) {
    if (err instanceof InvalidSettingsError) return err.problems;
    throw err;
  }
  throw new Error('expected the settings to be refused');
}

describe('agent settings', () => {
  it('maps keys to variables', () => {
    expect(variableFor('mqttCaFile')).toBe('EDGE_AGENT_MQTT_CA_FILE');
    expect(variableFor('httpPort')).toBe('EDGE_AGENT_HTTP_PORT');
  });

  it('reads the variables, converts numbers and fills defaults', () => {
    const settings = loadAgentSettings({
      ...required,
      EDGE_AGENT_HTTP_PORT: '0',
      EDGE_AGENT_MQTT_VERSION: '5',
    });
    expect(settings).toMatchObject({
      tenantId: 'acme',
      httpPort: 0,
      httpHost: '127.0.0.1',
      mqttVersion: 5,
      reloadMethod: 'signal',
      reloadSignal: 'SIGHUP',
      configFileName: 'opc-client.json',
    });
  });

  it('names the variable of every missing or bad value', () => {
    const problems = problemsOf({
      ...required,
      EDGE_AGENT_CLIENT_ID: 'press/07',
      EDGE_AGENT_TENANT_ID: undefined,
      EDGE_AGENT_MQTT_VERSION: '3',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'EDGE_AGENT_CLIENT_ID',
      'EDGE_AGENT_MQTT_VERSION',
      'EDGE_AGENT_TENANT_ID',
    ]);
  });

  it('speaks MQTT 5 where the broker does by default (auto), or the version it is told', () => {
    expect(loadAgentSettings(required).mqttVersion).toBe('auto');
    expect(loadAgentSettings({ ...required, EDGE_AGENT_MQTT_VERSION: '4' }).mqttVersion).toBe(4);
    expect(loadAgentSettings({ ...required, EDGE_AGENT_MQTT_VERSION: 'auto' }).mqttVersion).toBe(
      'auto',
    );
  });

  it('keeps a new version on probation for 5 minutes by default, at most 10', () => {
    expect(loadAgentSettings(required).probationSeconds).toBe(300);
    expect(loadAgentSettings({ ...required, EDGE_AGENT_PROBATION_SECONDS: '0' })).toMatchObject({
      probationSeconds: 0,
    });
    expect(problemsOf({ ...required, EDGE_AGENT_PROBATION_SECONDS: '601' })).toEqual([
      expect.stringMatching(/^EDGE_AGENT_PROBATION_SECONDS:/),
    ]);
  });

  it('checks settings that go together', () => {
    const problems = problemsOf({
      ...required,
      EDGE_AGENT_RELOAD_METHOD: 'http',
      EDGE_AGENT_MQTT_CERT_FILE: '/etc/agent/cert.pem',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'EDGE_AGENT_MQTT_KEY_FILE',
      'EDGE_AGENT_RELOAD_URL',
    ]);
  });

  it('reads a JSON settings file, which the variables override, and names the file key when it is bad', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'settings-'));
    try {
      const file = path.join(dir, 'agent.json');
      await writeFile(
        file,
        JSON.stringify({
          tenantId: 'from-file',
          clientId: 'c1',
          mqttUrl: 'mqtt://x:1883',
          workloadContainer: 'opc',
          configDir: '/c',
          httpPort: 'abc',
        }),
      );
      expect(problemsOf({ EDGE_AGENT_SETTINGS_FILE: file })).toEqual([
        expect.stringMatching(/^httpPort in the settings file:/),
      ]);
      const settings = loadAgentSettings({
        EDGE_AGENT_SETTINGS_FILE: file,
        EDGE_AGENT_TENANT_ID: 'from-env',
        EDGE_AGENT_HTTP_PORT: '9000',
      });
      expect([settings.tenantId, settings.clientId, settings.httpPort]).toEqual([
        'from-env',
        'c1',
        9000,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says when the settings file cannot be read', () => {
    expect(
      problemsOf({ ...required, EDGE_AGENT_SETTINGS_FILE: '/nonexistent/agent.json' }),
    ).toEqual([expect.stringMatching(/^EDGE_AGENT_SETTINGS_FILE: cannot read/)]);
  });

  it('reads the redaction patterns of the failure evidence as a JSON array, refusing a bad one', () => {
    const settings = loadAgentSettings({
      ...required,
      EDGE_AGENT_EVIDENCE_REDACT_PATTERNS: JSON.stringify(['(?<keep>serial=)\\d+']),
      EDGE_AGENT_EVIDENCE_REDACT_DEFAULTS: 'false',
    });
    expect(settings).toMatchObject({
      evidenceRedactPatterns: ['(?<keep>serial=)\\d+'],
      evidenceRedactDefaults: false,
      evidenceLogLines: 50,
    });
    expect(loadAgentSettings(required)).toMatchObject({
      evidenceRedactPatterns: [],
      evidenceRedactDefaults: true,
    });
    const problems = problemsOf({
      ...required,
      EDGE_AGENT_EVIDENCE_REDACT_PATTERNS: '["(unclosed"]',
      EDGE_AGENT_EVIDENCE_LOG_LINES: '51',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'EDGE_AGENT_EVIDENCE_LOG_LINES',
      'EDGE_AGENT_EVIDENCE_REDACT_PATTERNS',
    ]);
    expect(problemsOf({ ...required, EDGE_AGENT_EVIDENCE_REDACT_PATTERNS: 'password=' })).toEqual([
      'EDGE_AGENT_EVIDENCE_REDACT_PATTERNS: must be a JSON array of non-empty strings',
    ]);
  });
});

describe('tracing settings (OpenTelemetry variables)', () => {
  it('are off without an endpoint, or with an empty one', () => {
    expect(loadTracingSettings({})).toBeUndefined();
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
  });

  it('export to {endpoint}/v1/traces, or to the traces endpoint as it is', () => {
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'opcfleet-edge-agent',
      exportDelayMs: 5000,
    });
    expect(
      loadTracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
        OTEL_SERVICE_NAME: 'agent-line-1',
        OTEL_BSP_SCHEDULE_DELAY: '250',
      }),
    ).toEqual({
      tracesUrl: 'http://traces:4318/custom',
      serviceName: 'agent-line-1',
      exportDelayMs: 250,
    });
  });

  it('name a wrong variable', () => {
    expect(() => loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(
      InvalidSettingsError,
    );
    expect(() => loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
