import type { TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { uniqueTestId, type TestBroker } from './brokers';
import { createServiceDatabase, ServiceStack } from './service-stack';
import { TestDevice } from './test-device';

export interface ServiceWithDevice {
  broker: TestBroker;
  service: ServiceStack;
  tenantId: string;
  /** Client `line-1` of `tenantId`, registered and connected. */
  device: TestDevice;
}

/**
 * Registers the jest hooks of a messaging-flow suite: one database for the suite, and for
 * each test a fresh broker, the service on it, and a registered device `line-1` connected
 * (MQTT 5 on Mosquitto, 3.1.1 on aedes). `use` receives the parts before each test.
 */
export function serviceWithDevice(
  brokerName: string,
  startBroker: () => Promise<TestBroker>,
  use: (parts: ServiceWithDevice) => void,
): void {
  let database: TestDatabase;
  let parts: ServiceWithDevice | undefined;

  beforeAll(async () => {
    database = await createServiceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    const broker = await startBroker();
    const tenantId = uniqueTestId('t');
    const service = await ServiceStack.start({
      databaseUrl: database.url,
      mqttUrl: broker.url,
      mqttClientId: uniqueTestId('svc'),
    });
    const device = new TestDevice(
      broker.url,
      tenantId,
      'line-1',
      brokerName === 'mosquitto' ? 5 : 4,
    );
    await device.connect();
    await service.registerClient(tenantId, 'line-1');
    parts = { broker, service, tenantId, device };
    use(parts);
  });

  afterEach(async () => {
    await parts?.device.disconnect();
    await parts?.service.stop();
    await parts?.broker.close();
    parts = undefined;
  });
}
