import type { Client } from '../../../clients/domain/client.decider';
import { DomainError } from '../../../shared/domain/domain-error';
import { RequestUpdate } from './request-update.command';
import { updateJobOpening } from './request-update.handler';

const client = (runningImage: string): Client => ({
  tenantId: 't',
  clientId: 'line-7',
  labels: {},
  registeredAt: '2026-12-01T00:00:00.000Z',
  desiredConfigVersion: 0,
  pendingConfigJobs: [],
  running: { version: '2.0.0', image: runningImage },
  previous: { version: '1.0.0', image: 'registry.example.com/opc:1.0.0' },
});

const rollBack = new RequestUpdate({
  context: { actor: 'admin', tenantId: 't', correlationId: 'c' },
  clientId: 'line-7',
  targetVersion: '1.0.0',
  image: 'registry.example.com/opc:1.0.0',
  rollingBackFrom: 'registry.example.com/opc:2.0.0',
});

describe('an update job that rolls a client back', () => {
  it('opens while the client still runs the release the roll-back was chosen from', () => {
    const opening = updateJobOpening(rollBack, 'job-1')(
      client('registry.example.com/opc:2.0.0'),
      '2026-12-01T00:00:01.000Z',
    );

    expect(opening.open[0]).toMatchObject({
      type: 'UpdateRequested',
      data: { targetVersion: '1.0.0', fromImage: 'registry.example.com/opc:2.0.0' },
    });
  });

  it('does not open when another update changed the client meanwhile (release_changed)', () => {
    const decide = () =>
      updateJobOpening(rollBack, 'job-1')(
        client('registry.example.com/opc:2.1.0'),
        '2026-12-01T00:00:01.000Z',
      );

    expect(decide).toThrow(DomainError);
    expect(decide).toThrow(expect.objectContaining({ code: 'release_changed' }));
  });
});
