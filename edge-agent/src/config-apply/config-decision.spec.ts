import { configCommandFor, validOpcSettings } from '../../test/fixtures/commands';
import { decideConfig, type AppliedConfig } from './config-decision';

const address = { tenantId: 'acme', clientId: 'press-07' };
const appliedV3: AppliedConfig = {
  version: 3,
  jobId: '9a1c2f4e-1b7d-4c7a-9b1e-0f3c2d1a5b6c',
  appliedAt: '2026-11-23T09:00:00.000Z',
};

describe('decideConfig', () => {
  it('Given nothing applied, When a valid config arrives, Then it is applied with its validated content', () => {
    const decision = decideConfig(configCommandFor(address, 1), null);
    expect(decision).toMatchObject({ action: 'apply', version: 1 });
    // Defaults of the schema are filled in: the workload reads a complete file.
    expect(decision.action === 'apply' && decision.config.endpoints[0].userIdentity).toEqual({
      type: 'anonymous',
    });
  });

  it('Given version 3 applied, When version 4 arrives, Then it is applied', () => {
    expect(decideConfig(configCommandFor(address, 4), appliedV3).action).toBe('apply');
  });

  it.each([3, 2])(
    'Given version 3 applied, When version %i arrives, Then it is rejected as stale',
    (version) => {
      expect(decideConfig(configCommandFor(address, version), appliedV3)).toEqual({
        action: 'reject',
        version,
        error: {
          code: 'stale_version',
          message: `config version ${version} is not newer than the applied version 3`,
        },
      });
    },
  );

  it('Given a job applied, When the same job arrives again, Then it counts as applied (no second write)', () => {
    const command = configCommandFor(address, 3, validOpcSettings(), { jobId: appliedV3.jobId });
    expect(decideConfig(command, appliedV3)).toEqual({ action: 'already-applied', version: 3 });
  });

  it('When the settings break the schema, Then it is rejected with every field error under settings.', () => {
    const settings = validOpcSettings();
    (settings.nodes as Record<string, unknown>[])[0].publishingIntervalMs = 5;
    (settings.endpoints as Record<string, unknown>[])[0].securityMode = 'Sign';
    const decision = decideConfig(configCommandFor(address, 4, settings), appliedV3);
    expect(decision.action).toBe('reject');
    const paths =
      decision.action === 'reject' ? decision.error.fieldErrors!.map((e) => e.path) : [];
    expect(paths).toEqual(
      expect.arrayContaining([
        'settings.nodes.0.publishingIntervalMs',
        'settings.endpoints.0.securityPolicy',
      ]),
    );
    expect(decision.action === 'reject' && decision.error.code).toBe('invalid_config');
  });
});
