import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { ApiApp } from '../../../test/support/api-app';
import { RegisterClient } from '../../clients/register-client/register-client.command';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { DomainError } from '../../shared/domain/domain-error';
import type { CommandContext } from '../../shared/domain/domain-event';
import { clientStream, configJobStream, updateJobStream } from '../../shared/domain/stream-names';
import { RequestConfigChange } from '../config/request-config-change/request-config-change.command';
import { RequestUpdate } from '../update/request-update/request-update.command';
import { RequestJobs, type RequestJobsResult } from './request-jobs.command';

/** A wave of job requests against real PostgreSQL: one append, and each refusal on its own. */
describe('RequestJobsHandler', () => {
  let api: ApiApp;
  let commands: CommandBus;
  let store: EventStore;
  const context: CommandContext = { actor: 'spec', tenantId: 'wave', correlationId: 'corr-wave' };
  const update = (clientId: string) =>
    new RequestUpdate({
      context,
      clientId,
      targetVersion: '3.0.0',
      image: 'registry.example.com/opc:3.0.0',
    });
  const register = (clientId: string) =>
    commands.execute(new RegisterClient({ context, clientId, labels: {}, version: '2.0.0' }));
  const requestAll = (requests: RequestJobs['requests']) =>
    commands.execute<RequestJobs, RequestJobsResult>(new RequestJobs(requests));

  beforeAll(async () => {
    api = await ApiApp.start();
    commands = api.app.get(CommandBus);
    store = api.app.get(EVENT_STORE);
  });
  afterAll(() => api?.stop());

  it('opens every job of a wave and marks each client, with the request context', async () => {
    const clientIds = ['w-1', 'w-2', 'w-3'];
    for (const clientId of clientIds) await register(clientId);

    const results = await requestAll(clientIds.map(update));

    for (const [index, clientId] of clientIds.entries()) {
      const { jobId } = results[index] as { jobId: string };
      const [requested] = await store.readStream(updateJobStream('wave', jobId));
      expect(requested).toMatchObject({
        type: 'UpdateRequested',
        data: { jobId, clientId, fromVersion: '2.0.0', targetVersion: '3.0.0' },
        metadata: { actor: 'spec', tenantId: 'wave', correlationId: 'corr-wave' },
      });
      const client = await store.readStream(clientStream('wave', clientId));
      expect(client.map((e) => e.type)).toEqual(['ClientRegistered', 'ClientUpdateStarted']);
    }
  });

  it('answers each refusal on its own and opens the rest of the wave', async () => {
    await register('w-busy');
    await register('w-free');
    const [earlier] = await requestAll([update('w-busy')]);

    const results = await requestAll([
      update('w-busy'),
      update('w-unknown'),
      update('w-free'),
      // The same client twice in one wave: one job, the second request refused.
      update('w-free'),
      new RequestConfigChange({ context, clientId: 'w-free', version: 2, settings: { x: 1 } }),
    ]);

    expect(earlier).toHaveProperty('jobId');
    const codes = results.map((result) =>
      result instanceof DomainError ? result.code : result instanceof Error ? 'error' : 'opened',
    );
    expect(codes).toEqual([
      'update_in_flight',
      'not_found',
      'opened',
      'update_in_flight',
      'invalid_input',
    ]);
    const freeJob = (results[2] as { jobId: string }).jobId;
    expect(await store.readStream(updateJobStream('wave', freeJob))).toHaveLength(1);
    const marks = await store.readStream(clientStream('wave', 'w-free'));
    expect(marks.filter((e) => e.type === 'ClientUpdateStarted')).toHaveLength(1);
  });

  it('opens config jobs of a wave too', async () => {
    await register('w-config');

    const [result] = await requestAll([
      new RequestConfigChange({
        context,
        clientId: 'w-config',
        version: 1,
        settings: {
          endpoints: [
            {
              name: 'plc',
              url: 'opc.tcp://plc-1:4840',
              securityMode: 'None',
              securityPolicy: 'None',
            },
          ],
          nodes: [],
          buffering: { maxMessages: 100, maxBytes: 65536, overflowPolicy: 'dropOldest' },
        },
      }),
    ]);

    expect(result).not.toBeInstanceOf(Error);
    const { jobId } = result as { jobId: string };
    const [requested] = await store.readStream(configJobStream('wave', jobId));
    expect(requested).toMatchObject({ type: 'ConfigChangeRequested', data: { version: 1 } });
  });
});
