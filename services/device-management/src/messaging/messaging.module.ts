import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { register } from 'prom-client';
import { BrokerHealth } from './broker-health';
import { MESSAGE_BUS } from './message-bus';
import { MESSAGING_CONFIG, type MessagingConfig } from './messaging.config';
import { MessagingMetrics } from './messaging.metrics';
import { MqttMessageBus } from './mqtt-message-bus';

/**
 * The MQTT adapter: the MessageBus over mqtt.js (token MESSAGE_BUS, and MqttMessageBus for the
 * worker lifecycle, which connects and disconnects it), its settings, metrics and health.
 * Without a configuration (no MQTT_URL) there is no bus: the workers that need one are not
 * built, and /health says the broker is disabled.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(config: MessagingConfig | undefined, logger: Logger): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: MESSAGING_CONFIG, useValue: config },
        {
          provide: MqttMessageBus,
          useFactory: (): MqttMessageBus | undefined => {
            if (config) return new MqttMessageBus(config.mqtt, logger.child({ component: 'mqtt' }));
            logger.warn('MQTT_URL is not set: commands are not dispatched, reports not ingested');
            return undefined;
          },
        },
        { provide: MESSAGE_BUS, useExisting: MqttMessageBus },
        {
          provide: MessagingMetrics,
          inject: [MqttMessageBus],
          useFactory: (bus: MqttMessageBus | undefined) =>
            bus && new MessagingMetrics(register, bus),
        },
        {
          provide: BrokerHealth,
          inject: [MqttMessageBus],
          useFactory: (bus: MqttMessageBus | undefined) => new BrokerHealth(bus),
        },
      ],
      exports: [MESSAGING_CONFIG, MqttMessageBus, MESSAGE_BUS, MessagingMetrics, BrokerHealth],
    };
  }
}
