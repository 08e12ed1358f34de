import { planStreamNamesV2, type LegacyStream } from './stream-names-v2.plan';

const AT = '2026-12-01T00:00:00.000Z';
const JOB = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
const OTHER_JOB = '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00';

const event = (type: string, data: object, tenantId: string) => ({
  type,
  data,
  metadata: { tenantId },
});
const registered = (tenantId: string, clientId: string) =>
  event('ClientRegistered', { tenantId, clientId, labels: {}, registeredAt: AT }, tenantId);
const stream = (name: string, ...events: LegacyStream['events']): LegacyStream => ({
  name,
  revision: events.length - 1,
  events,
});

describe('planStreamNamesV2', () => {
  it('given streams of every kind, names each by what its first event says it is about', () => {
    const plan = planStreamNamesV2(
      [
        stream('client-acme-line-1', registered('acme', 'line-1')),
        stream(
          `update-job-${JOB}`,
          event('UpdateRequested', { jobId: JOB, tenantId: 'acme' }, 'acme'),
        ),
        stream(
          `config-job-${OTHER_JOB}`,
          event('ConfigChangeRequested', { jobId: OTHER_JOB, tenantId: 'acme' }, 'acme'),
        ),
        stream(
          'rollout-r1',
          event('RolloutStarted', { rolloutId: 'r1', tenantId: 'acme' }, 'acme'),
        ),
      ],
      AT,
    );
    expect(plan.renames).toEqual([
      { from: 'client-acme-line-1', to: 'client/acme/line-1' },
      { from: `update-job-${JOB}`, to: `update-job/acme/${JOB}` },
      { from: `config-job-${OTHER_JOB}`, to: `config-job/acme/${OTHER_JOB}` },
      { from: 'rollout-r1', to: 'rollout/acme/r1' },
    ]);
    expect(plan).toMatchObject({ repairs: [], foreign: [], unreadable: [] });
  });

  it('given a stream whose first event does not match its name, leaves it as it is', () => {
    const plan = planStreamNamesV2(
      [
        stream('client-acme-line-9', registered('acme', 'line-1')),
        stream(`update-job-${JOB}`, event('UpdateRequested', { jobId: OTHER_JOB }, 'acme')),
        stream('rollout-r1', event('SomethingElse', { rolloutId: 'r1', tenantId: 'acme' }, 'acme')),
      ],
      AT,
    );
    expect(plan.renames).toEqual([]);
    expect(plan.unreadable).toEqual(['client-acme-line-9', `update-job-${JOB}`, 'rollout-r1']);
  });

  it('given a client stream another tenant wrote into, ends its jobs still marked there', () => {
    // acme7/east-1 and acme7-east/1 shared `client-acme7-east-1`.
    const plan = planStreamNamesV2(
      [
        stream(
          'client-acme7-east-1',
          registered('acme7', 'east-1'),
          event(
            'ClientUpdateStarted',
            { jobId: JOB, targetVersion: '6.6.6', at: AT },
            'acme7-east',
          ),
          event('ClientConfigRequested', { jobId: OTHER_JOB, version: 5, at: AT }, 'acme7-east'),
        ),
      ],
      AT,
    );
    expect(plan.renames).toEqual([{ from: 'client-acme7-east-1', to: 'client/acme7/east-1' }]);
    expect(plan.foreign.map((f) => [f.tenantId, f.type])).toEqual([
      ['acme7-east', 'ClientUpdateStarted'],
      ['acme7-east', 'ClientConfigRequested'],
    ]);
    expect(plan.repairs).toEqual([
      {
        streamName: 'client/acme7/east-1',
        tenantId: 'acme7',
        expectedRevision: 2,
        jobIds: [JOB, OTHER_JOB],
        events: [
          { type: 'ClientUpdateEnded', data: { jobId: JOB, outcome: 'cancelled', at: AT } },
          {
            type: 'ClientConfigEnded',
            data: { jobId: OTHER_JOB, version: 5, outcome: 'cancelled', at: AT },
          },
        ],
      },
    ]);
  });

  it('given a foreign job that already ended, or the owner’s own job in flight, repairs nothing', () => {
    const plan = planStreamNamesV2(
      [
        stream(
          'client-acme7-east-1',
          registered('acme7', 'east-1'),
          event(
            'ClientUpdateStarted',
            { jobId: JOB, targetVersion: '6.6.6', at: AT },
            'acme7-east',
          ),
          event('ClientUpdateEnded', { jobId: JOB, outcome: 'failed', at: AT }, 'acme7-east'),
          event(
            'ClientUpdateStarted',
            { jobId: OTHER_JOB, targetVersion: '2.0.0', at: AT },
            'acme7',
          ),
        ),
      ],
      AT,
    );
    expect(plan.foreign).toHaveLength(2);
    expect(plan.repairs).toEqual([]);
  });
});
