import { deciderSpecification } from '../../shared/testing/decider-specification';
import { decideClient, evolveClient, foldClient, initialClientState } from './client.decider';
import type { ClientEvent } from './client.events';

const given = deciderSpecification({
  decide: decideClient,
  evolve: evolveClient,
  initialState: initialClientState,
});

const at = '2026-11-23T10:00:00.000Z';
const registered: ClientEvent = {
  type: 'ClientRegistered',
  data: {
    tenantId: 'acme',
    clientId: 'press-07',
    labels: { line: 'A' },
    version: '2.0.0',
    registeredAt: at,
  },
};
const jobA = '11111111-1111-4111-8111-111111111111';
const jobB = '22222222-2222-4222-8222-222222222222';
const startedA: ClientEvent = {
  type: 'ClientUpdateStarted',
  data: { jobId: jobA, targetVersion: '2.1.0', at },
};
const endedA: ClientEvent = {
  type: 'ClientUpdateEnded',
  data: { jobId: jobA, outcome: 'succeeded', version: '2.1.0', at },
};
const config3: ClientEvent = {
  type: 'ClientConfigRequested',
  data: { jobId: jobB, version: 3, at },
};

describe('Client', () => {
  it('registers once', () => {
    given([]).when({ type: 'RegisterClient', data: registered.data }).then([registered]);
    given([registered])
      .when({ type: 'RegisterClient', data: registered.data })
      .thenThrows('already_exists');
  });

  it('needs to be registered before anything else', () =>
    given([])
      .when({ type: 'StartUpdate', data: { jobId: jobA, targetVersion: '2.1.0', at } })
      .thenThrows('not_found'));

  it('knows the release it runs: registered, then each succeeded update, never a failed one', () => {
    const image = 'registry.example.com/opc-core:2.1.0';
    const withImage: ClientEvent = {
      ...startedA,
      data: { ...startedA.data, image },
    } as ClientEvent;
    expect(foldClient([registered])!.running).toEqual({ version: '2.0.0' });
    expect(foldClient([registered, withImage, endedA])!.running).toEqual({
      version: '2.1.0',
      image,
    });
    const failedB: ClientEvent[] = [
      {
        type: 'ClientUpdateStarted',
        data: { jobId: jobB, targetVersion: '3.0.0', image: 'x', at },
      },
      { type: 'ClientUpdateEnded', data: { jobId: jobB, outcome: 'rolled_back', at } },
    ];
    expect(foldClient([registered, withImage, endedA, ...failedB])).toMatchObject({
      running: { version: '2.1.0', image },
      // What it ran before the last succeeded update: a failed one changes neither.
      previous: { version: '2.0.0' },
    });
  });

  describe('one update in flight', () => {
    const startB = {
      type: 'StartUpdate' as const,
      data: { jobId: jobB, targetVersion: '2.2.0', at },
    };
    it('starts an update on an idle client', () =>
      given([registered])
        .when(startB)
        .then([{ type: 'ClientUpdateStarted', data: startB.data }]));
    it('refuses a second one and names the running job', () =>
      given([registered, startedA]).when(startB).thenThrows('update_in_flight', { jobId: jobA }));
    it('accepts the next one once the first ended', () =>
      given([registered, startedA, endedA])
        .when(startB)
        .then([{ type: 'ClientUpdateStarted', data: startB.data }]));
    it('ends a job once', () => {
      const end = { type: 'EndUpdate' as const, data: endedA.data };
      given([registered, startedA]).when(end).then([endedA]);
      given([registered, startedA, endedA]).when(end).thenNothingHappens();
    });
    it('takes the reported version from a successful update', () =>
      expect(foldClient([registered, startedA, endedA])).toMatchObject({
        reportedVersion: '2.1.0',
      }));
  });

  describe('config versions increase', () => {
    it('accepts a greater version', () =>
      given([registered, config3])
        .when({ type: 'RequestConfig', data: { jobId: jobA, version: 4, at } })
        .then([{ type: 'ClientConfigRequested', data: { jobId: jobA, version: 4, at } }]));
    it.each([3, 2])('refuses version %i after 3', (version) =>
      given([registered, config3])
        .when({ type: 'RequestConfig', data: { jobId: jobA, version, at } })
        .thenThrows('config_version_not_increasing', { currentVersion: 3 }),
    );
    it('tracks the applied version only for applied jobs', () => {
      const ended = (outcome: 'applied' | 'rejected'): ClientEvent => ({
        type: 'ClientConfigEnded',
        data: { jobId: jobB, version: 3, outcome, at },
      });
      expect(foldClient([registered, config3, ended('rejected')])).toMatchObject({
        desiredConfigVersion: 3,
        pendingConfigJobs: [],
      });
      expect(
        foldClient([registered, config3, ended('rejected')])!.appliedConfigVersion,
      ).toBeUndefined();
      expect(foldClient([registered, config3, ended('applied')])).toMatchObject({
        appliedConfigVersion: 3,
      });
    });
  });

  it('records presence changes only', () => {
    const online = { type: 'RecordPresence' as const, data: { status: 'online' as const, at } };
    given([registered])
      .when(online)
      .then([{ type: 'ClientPresenceChanged', data: online.data }]);
    given([registered, { type: 'ClientPresenceChanged', data: online.data }])
      .when(online)
      .thenNothingHappens();
  });

  it('records a device online again on a new broker session, even when it was online', () => {
    const online = { type: 'RecordPresence' as const, data: { status: 'online' as const, at } };
    const newSession = { ...online, data: { ...online.data, sessionResumed: false } };
    given([registered, { type: 'ClientPresenceChanged', data: online.data }])
      .when(newSession)
      .then([{ type: 'ClientPresenceChanged', data: newSession.data }]);
    given([registered, { type: 'ClientPresenceChanged', data: online.data }])
      .when({ ...online, data: { ...online.data, sessionResumed: true } })
      .thenNothingHappens();
  });

  describe('device credential', () => {
    const first = '33333333-3333-4333-8333-333333333333';
    const second = '44444444-4444-4444-8444-444444444444';
    const issue = (credentialId: string) => ({
      type: 'IssueCredential' as const,
      data: { credentialId, at },
    });
    const issuedFirst: ClientEvent = {
      type: 'ClientCredentialIssued',
      data: { tenantId: 'acme', clientId: 'press-07', credentialId: first, issuedAt: at },
    };
    const revokedFirst: ClientEvent = {
      type: 'ClientCredentialRevoked',
      data: { tenantId: 'acme', clientId: 'press-07', credentialId: first, revokedAt: at },
    };
    const revoke = { type: 'RevokeCredential' as const, data: { at } };

    it('is issued to a registered client only', () => {
      given([registered]).when(issue(first)).then([issuedFirst]);
      given([]).when(issue(first)).thenThrows('not_found');
    });

    it('rotates: a new credential replaces the one in use', () =>
      given([registered, issuedFirst])
        .when(issue(second))
        .then([
          {
            type: 'ClientCredentialIssued',
            data: {
              tenantId: 'acme',
              clientId: 'press-07',
              credentialId: second,
              issuedAt: at,
              replaces: first,
            },
          },
        ]));

    it('is revoked when there is one, and then no credential connects', () => {
      given([registered, issuedFirst]).when(revoke).then([revokedFirst]);
      given([registered]).when(revoke).thenThrows('not_found');
      given([registered, issuedFirst, revokedFirst]).when(revoke).thenThrows('not_found');
      expect(foldClient([registered, issuedFirst])!.credential).toEqual({
        credentialId: first,
        issuedAt: at,
      });
      expect(foldClient([registered, issuedFirst, revokedFirst])!.credential).toBeUndefined();
    });
  });
});
