import request from 'supertest';
import { TEST_BROKERS } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import { TEST_JWT_SECRET, type ServiceStack, type StackJob } from '../support/service-stack';
import { serviceWithDevice } from '../support/service-with-device';
import type { TestDevice } from '../support/test-device';
import { mintDevToken } from '../../src/auth/mint-dev-token';

jest.setTimeout(30_000);

/** "Roll this client back to the version it ran before" as one action, over a real broker. */
describe.each(TEST_BROKERS)('rolling a client back with %s', (brokerName, startBroker) => {
  let service: ServiceStack;
  let tenantId: string;
  let device: TestDevice;
  serviceWithDevice(brokerName, startBroker, (parts) => {
    ({ service, tenantId, device } = parts);
  });

  /** The device carries the update out: its command arrives, it reports received and committed. */
  async function install(job: StackJob, version: string) {
    await eventually(() => device.commandsFor(job.jobId).length > 0);
    await device.report({ ...job, kind: 'update' }, 1, 'received');
    await device.report({ ...job, kind: 'update' }, 2, 'committed', { version });
    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateSucceeded'));
  }

  async function rollBack() {
    const token = await mintDevToken(TEST_JWT_SECRET, { tenant: tenantId, roles: ['admin'] });
    return request(service.app.getHttpServer())
      .post('/api/v1/clients/line-1/roll-back')
      .set('Authorization', `Bearer ${token}`);
  }

  it('updates the client back to the image it ran before its last update, one update at a time', async () => {
    // Registered with 1.0.0 and no image: nothing to go back to yet.
    const refused = await rollBack();
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('no_previous_release');

    await install(await service.requestUpdate(tenantId, 'line-1', '2.0.0'), '2.0.0');
    // 1.0.0 came with the registration, without an image: still nothing to go back to.
    expect((await rollBack()).body.error).toBe('no_previous_release');
    await install(await service.requestUpdate(tenantId, 'line-1', '3.0.0'), '3.0.0');

    const accepted = await rollBack();
    expect(accepted.status).toBe(202);
    const back = await eventually(() => device.commandsFor(accepted.body.jobId)[0]);
    expect(back.command.payload).toMatchObject({
      targetVersion: '2.0.0',
      image: 'registry.example.com/opc-core:2.0.0',
    });
    // One update at a time: a second roll-back while this one runs is refused.
    expect((await rollBack()).body.error).toBe('update_in_flight');
  });
});
