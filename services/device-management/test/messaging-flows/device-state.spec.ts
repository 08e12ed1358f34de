import { QueryBus } from '@nestjs/cqrs';
import { STATE_SUMMARY_SCHEMA, stateTopic, type StateSummary } from '@opcfleet/contracts';
import request from 'supertest';
import { GetDeviceState } from '../../src/clients/get-device-state/get-device-state.query';
import type { DeviceStateDto } from '../../src/clients/get-device-state/device-state.dto';
import { TEST_JWT_SECRET } from '../support/service-stack';
import { mintDevToken } from '../../src/auth/mint-dev-token';
import { TEST_BROKERS } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import type { ServiceStack } from '../support/service-stack';
import { serviceWithDevice } from '../support/service-with-device';
import type { TestDevice } from '../support/test-device';

jest.setTimeout(30_000);

/** Device insight: the agents' retained state summaries, as SREs read them from the office. */
describe.each(TEST_BROKERS)('device state over MQTT with %s', (brokerName, startBroker) => {
  let service: ServiceStack;
  let tenantId: string;
  let device: TestDevice;
  serviceWithDevice(brokerName, startBroker, (parts) => {
    ({ service, tenantId, device } = parts);
  });

  const summary = (at: Date, state: string): StateSummary => ({
    schema: STATE_SUMMARY_SCHEMA,
    tenantId,
    clientId: 'line-1',
    at: at.toISOString(),
    agentVersion: '0.1.0',
    workload: { version: '1.0.0', image: 'registry.example.com/opc-core:1.0.0', running: true },
    configVersion: 2,
    currentJob: {
      jobId: '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41',
      kind: 'update',
      state,
      since: at.toISOString(),
    },
    clockSkewSeconds: 2,
    freeDiskBytes: 5_368_709_120,
    lastTransitions: [
      { state: 'starting_new', at: at.toISOString() },
      { state: state, at: at.toISOString() },
    ],
    lastError: {
      jobId: '0a7d3c2b-1e4f-4a5b-8c6d-7e8f9a0b1c2d',
      code: 'health_check_failed',
      message: 'the new version did not answer its health probe',
      at: at.toISOString(),
    },
  });
  const deviceState = (tenant = tenantId) =>
    service.app
      .get(QueryBus)
      .execute<GetDeviceState, DeviceStateDto>(new GetDeviceState(tenant, 'line-1'));
  const tokenOf = (tenant: string, role: 'admin' | 'auditor') =>
    mintDevToken(TEST_JWT_SECRET, { tenant, roles: [role], subject: `test-${role}` });
  const publish = (body: unknown, retain = true) =>
    device.publishRaw(stateTopic(device), JSON.stringify(body), retain);

  it('shows what the agent last said: its job, machine state, workload and clock', async () => {
    expect(await deviceState()).toMatchObject({ reported: false, stale: true });
    const now = new Date();
    const started = Date.now();
    await publish(summary(now, 'verifying'));
    const shown = await eventually(async () => {
      const state = await deviceState();
      return state.reported && state;
    });
    // The console's device panel polls nothing: a second is the budget from publish to API.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(shown).toMatchObject({
      clientId: 'line-1',
      agentVersion: '0.1.0',
      workload: { version: '1.0.0', running: true },
      configVersion: 2,
      currentJob: { kind: 'update', state: 'verifying' },
      clockSkewSeconds: 2,
      freeDiskBytes: 5_368_709_120,
      lastTransitions: [{ state: 'starting_new' }, { state: 'verifying' }],
      lastError: { code: 'health_check_failed' },
      reportedAt: now.toISOString(),
    });
    // Presence never came: the summary may be old news.
    expect(shown.stale).toBe(true);
    await device.presence('online');
    await eventually(async () => (await deviceState()).stale === false);

    // An older summary (a retained one replayed late) does not replace a newer one.
    await publish(summary(new Date(now.getTime() - 60_000), 'pulling'), false);
    await publish(summary(new Date(now.getTime() + 1_000), 'committing'), true);
    await eventually(async () => (await deviceState()).currentJob?.state === 'committing');

    const app = request(service.app.getHttpServer());
    const own = await app
      .get('/api/v1/clients/line-1/device')
      .set('Authorization', `Bearer ${await tokenOf(tenantId, 'auditor')}`);
    expect(own.status).toBe(200);
    expect(own.body.currentJob.state).toBe('committing');
    const foreign = await app
      .get('/api/v1/clients/line-1/device')
      .set('Authorization', `Bearer ${await tokenOf(`other-${tenantId}`, 'admin')}`);
    expect(foreign.status).toBe(404);
  });

  it('drops a malformed summary, and one that names another client, with a log line', async () => {
    await publish({ schema: STATE_SUMMARY_SCHEMA, tenantId, clientId: 'line-1', at: 'yesterday' });
    await publish({ ...summary(new Date(), 'pulling'), clientId: 'line-2' });
    // (Mosquitto may hand a retained message over more than once: each is logged.)
    const reasons = () => new Set(service.logsWith('state message dropped').map((l) => l.reason));
    await eventually(() => reasons().size === 2);
    expect([...reasons()].sort()).toEqual(['malformed', 'topic_mismatch']);
    expect(await deviceState()).toMatchObject({ reported: false });
  });
});
