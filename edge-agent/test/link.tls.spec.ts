import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { startBroker } from '../../services/broker/src';
import type { DevPki } from '../../services/broker/test/support/dev-pki';
import { updateCommandFor } from './fixtures/commands';
import { startLinkUnderTest } from './support/link-under-test';
import { HAPPY_PHASES } from './support/scripted-runner';
import { ServiceSide } from './support/service-side';

/**
 * The link as deployed on a device: mqtts with the device's client certificate (CN
 * `tenants/{t}/clients/{c}`) against the opcfleet broker, which lets a device use only its
 * own topic tree. Commands arrive and reports leave through that ACL.
 */
describe('edge agent link over TLS with a device certificate (opcfleet broker)', () => {
  let pki: DevPki;
  let previousPkiDir: string | undefined;
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'link-tls-'));
    // A CA of its own: other suites may be (re)issuing the shared development PKI right now.
    previousPkiDir = process.env.PKI_OUT_DIR;
    process.env.PKI_OUT_DIR = path.join(dir, 'pki');
    pki = (await import('../../services/broker/test/support/dev-pki')).devPki();
    broker = await startBroker({
      port: false,
      tlsPort: 0,
      tls: { key: pki.broker.key, cert: pki.broker.cert, ca: pki.ca },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    if (previousPkiDir === undefined) delete process.env.PKI_OUT_DIR;
    else process.env.PKI_OUT_DIR = previousPkiDir;
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('receives commands and delivers reports through the device ACL', async () => {
    const device = pki.device(address.tenantId, address.clientId);
    const files = {
      mqttCaFile: path.join(dir, 'ca.crt'),
      mqttCertFile: path.join(dir, 'device.crt'),
      mqttKeyFile: path.join(dir, 'device.key'),
    };
    await writeFile(files.mqttCaFile, pki.ca);
    await writeFile(files.mqttCertFile, device.cert);
    await writeFile(files.mqttKeyFile, device.key);
    const service = await ServiceSide.connect(broker.mqttsUrl!, address, 4, {
      ca: pki.ca,
      ...pki.service,
    });
    const agent = await startLinkUnderTest({
      url: broker.mqttsUrl!,
      address,
      dataDir: path.join(dir, 'data'),
      tls: files,
    });
    try {
      const command = updateCommandFor(address);
      await service.send('update', command);
      await service.until('committed', () =>
        service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      );
      expect(service.reportsOf(command.jobId).map((r) => r.seq)).toEqual(
        HAPPY_PHASES.map((_, i) => i + 1),
      );
      expect(service.presence.at(-1)?.status).toBe('online');
    } finally {
      await agent.link.stop();
      await service.close();
    }
  });
});
