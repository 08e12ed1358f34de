import { describeLinkBehaviour } from './link.behaviour';

const url = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';

describeLinkBehaviour('Mosquitto (MQTT 5)', async () => ({
  url,
  mqttVersion: 5,
  close: async () => {},
}));
describeLinkBehaviour('Mosquitto (MQTT 3.1.1)', async () => ({
  url,
  mqttVersion: 4,
  close: async () => {},
}));
