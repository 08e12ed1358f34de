import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { ApiApp } from '../../../../test/support/api-app';
import { RegisterClient } from '../../../clients/register-client/register-client.command';
import { EVENT_STORE } from '../../../event-sourcing/event-store.token';
import { DomainError } from '../../../shared/domain/domain-error';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { clientStream, updateJobStream } from '../../../shared/domain/stream-names';
import { RequestUpdate } from './request-update.command';

/** The handler against real PostgreSQL: what the pure decider cannot show. */
describe('RequestUpdateHandler', () => {
  let api: ApiApp;
  let commands: CommandBus;
  let store: EventStore;
  const context: CommandContext = { actor: 'spec', tenantId: 'spec', correlationId: 'corr-spec' };
  const request = (clientId: string) =>
    commands.execute<RequestUpdate, { jobId: string }>(
      new RequestUpdate({
        context,
        clientId,
        targetVersion: '3.0.0',
        image: 'registry.example.com/opc:3.0.0',
      }),
    );

  beforeAll(async () => {
    api = await ApiApp.start();
    commands = api.app.get(CommandBus);
    store = api.app.get(EVENT_STORE);
  });
  afterAll(() => api?.stop());

  it('opens the job and marks the client, with the request context as metadata', async () => {
    await commands.execute(
      new RegisterClient({ context, clientId: 'h-1', labels: {}, version: '2.0.0' }),
    );
    const { jobId } = await request('h-1');
    const [requested] = await store.readStream(updateJobStream('spec', jobId));
    expect(requested).toMatchObject({
      type: 'UpdateRequested',
      data: { jobId, clientId: 'h-1', fromVersion: '2.0.0', targetVersion: '3.0.0' },
      metadata: { actor: 'spec', tenantId: 'spec', correlationId: 'corr-spec' },
    });
    const client = await store.readStream(clientStream('spec', 'h-1'));
    expect(client.map((e) => e.type)).toEqual(['ClientRegistered', 'ClientUpdateStarted']);
  });

  it('frees a client whose job ended without its end reaching the client stream', async () => {
    await commands.execute(new RegisterClient({ context, clientId: 'h-2', labels: {} }));
    const first = await request('h-2');
    // As if the process died between the job's end and its mirror on the client stream.
    await store.appendToStream(updateJobStream('spec', first.jobId), [
      {
        id: '6f9619ff-8b86-4011-b42d-00c04fc964ff',
        type: 'UpdateSucceeded',
        data: { jobId: first.jobId, seq: 1, at: new Date().toISOString(), version: '3.0.0' },
      },
    ]);
    const second = await request('h-2');
    expect(second.jobId).not.toBe(first.jobId);
    const client = await store.readStream(clientStream('spec', 'h-2'));
    expect(client.map((e) => [e.type, (e.data as { jobId?: string }).jobId])).toEqual([
      ['ClientRegistered', undefined],
      ['ClientUpdateStarted', first.jobId],
      ['ClientUpdateEnded', first.jobId],
      ['ClientUpdateStarted', second.jobId],
    ]);
  });

  it('lets exactly one of many concurrent requests through', async () => {
    await commands.execute(new RegisterClient({ context, clientId: 'h-3', labels: {} }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => request('h-3')));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(DomainError);
      expect((r.reason as DomainError).code).toBe('update_in_flight');
    }
    const client = await store.readStream(clientStream('spec', 'h-3'));
    expect(client.filter((e) => e.type === 'ClientUpdateStarted')).toHaveLength(1);
  });

  it('decides on the stored client when another process ended its job after this one last saw it', async () => {
    await commands.execute(new RegisterClient({ context, clientId: 'h-4', labels: {} }));
    const first = await request('h-4');
    // Another replica records the job's end on both streams; this process still holds the
    // client as it left it, with the job in flight.
    const at = new Date().toISOString();
    await store.appendToStream(updateJobStream('spec', first.jobId), [
      {
        id: '0d8f6a4e-2b7c-4c59-9a51-4f0b8f1e2a01',
        type: 'UpdateSucceeded',
        data: { jobId: first.jobId, seq: 1, at, version: '3.0.0' },
      },
    ]);
    await store.appendToStream(clientStream('spec', 'h-4'), [
      {
        id: '0d8f6a4e-2b7c-4c59-9a51-4f0b8f1e2a02',
        type: 'ClientUpdateEnded',
        data: { jobId: first.jobId, outcome: 'succeeded', version: '3.0.0', at },
      },
    ]);

    const second = await request('h-4');

    const client = await store.readStream(clientStream('spec', 'h-4'));
    expect(client.map((e) => [e.type, (e.data as { jobId?: string }).jobId])).toEqual([
      ['ClientRegistered', undefined],
      ['ClientUpdateStarted', first.jobId],
      ['ClientUpdateEnded', first.jobId],
      ['ClientUpdateStarted', second.jobId],
    ]);
  });

  it('opens the first job of a client it registered without reading the client stream', async () => {
    await commands.execute(new RegisterClient({ context, clientId: 'h-5', labels: {} }));
    const reads = jest.spyOn(store, 'readStream');
    try {
      await request('h-5');
      expect(reads).not.toHaveBeenCalledWith(clientStream('spec', 'h-5'), expect.anything());
      expect(reads).not.toHaveBeenCalledWith(clientStream('spec', 'h-5'));
    } finally {
      reads.mockRestore();
    }
  });

  it('decides on the stored client when another process moved a client this one registered', async () => {
    await commands.execute(new RegisterClient({ context, clientId: 'h-6', labels: {} }));
    // Another replica opened a job on the client; this process holds it as it registered it.
    await store.appendToStream(clientStream('spec', 'h-6'), [
      {
        id: '0d8f6a4e-2b7c-4c59-9a51-4f0b8f1e2a03',
        type: 'ClientUpdateStarted',
        data: {
          jobId: '0d8f6a4e-2b7c-4c59-9a51-4f0b8f1e2a04',
          targetVersion: '3.0.0',
          at: new Date().toISOString(),
        },
      },
    ]);

    await expect(request('h-6')).rejects.toMatchObject({ code: 'update_in_flight' });
  });
});
