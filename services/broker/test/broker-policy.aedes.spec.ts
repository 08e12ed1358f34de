import pino from 'pino';
import { startBroker } from '../src';
import { describeBrokerPolicy } from './broker-policy.behaviour';

// aedes 0.51 speaks MQTT 3.1.1 only.
describeBrokerPolicy('aedes (in-process, TLS)', [4], async (pki) => {
  const broker = await startBroker({
    port: false,
    tlsPort: 0,
    tls: { key: pki.broker.key, cert: pki.broker.cert, ca: pki.ca },
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
  });
  return {
    mqttsUrl: broker.mqttsUrl!,
    refusesSubscribeInSubAck: true,
    close: () => broker.close(),
  };
});
