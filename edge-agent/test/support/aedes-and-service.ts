import type { ClientAddress } from '@opcfleet/contracts';
import { RestartableAedes } from './restartable-aedes';
import { ServiceSide } from './service-side';

/** An in-process aedes (MQTT 3.1.1 only) with the service side connected to it for one device. */
export async function startAedesAndService(device: ClientAddress) {
  const broker = new RestartableAedes();
  await broker.start();
  const service = await ServiceSide.connect(broker.url, device);
  return {
    broker,
    service,
    close: async () => {
      await service.close();
      await broker.stop();
    },
  };
}
