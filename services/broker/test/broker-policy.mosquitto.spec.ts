import { describeBrokerPolicy } from './broker-policy.behaviour';

/** The secure Mosquitto of infra/mosquitto/secure.conf, started by `bash infra/scripts/test-env.sh`. */
const url = process.env.TEST_MOSQUITTO_TLS_URL ?? 'mqtts://127.0.0.1:8883';

describeBrokerPolicy(`Mosquitto (${url}, infra/mosquitto/secure.conf)`, [4, 5], async () => ({
  mqttsUrl: url,
  refusesSubscribeInSubAck: false,
  close: async () => {},
}));
