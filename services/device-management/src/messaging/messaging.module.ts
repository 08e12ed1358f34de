import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import pino, { type Logger } from 'pino';
import { register, type Registry } from 'prom-client';
import { CommandDispatcher } from '../jobs/dispatch/command-dispatcher';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { LocalCommits } from '../event-sourcing/local-commits';
import { JobTimeoutWatcher } from '../jobs/timeouts/job-timeout-watcher';
import { StatusIngestor } from '../ingestion/status-ingestor';
import { BrokerHealth } from './broker-health';
import { MESSAGE_BUS } from './message-bus';
import { loadMessagingConfig, MESSAGING_CONFIG, type MessagingConfig } from './messaging.config';
import { MessagingMetrics } from './messaging.metrics';
import { MqttMessageBus } from './mqtt-message-bus';

/** Nest injection token of the pino logger the messaging side writes to. */
export const MESSAGING_LOGGER = Symbol('MessagingLogger');

/** Everything that runs only when a broker is configured. */
export interface MessagingParts {
  bus: MqttMessageBus;
  dispatcher: CommandDispatcher;
  ingestor: StatusIngestor;
  timeouts: JobTimeoutWatcher;
}
const MESSAGING_PARTS = Symbol('MessagingParts');

/**
 * Starts the MQTT side once the whole application is up (so the command handlers it sends to
 * exist) and stops it before the database closes: ingestion first (no new work), then the
 * dispatcher and the timeout watcher, then the broker connection.
 */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(MESSAGING_PARTS) private readonly parts: MessagingParts | undefined,
    @Inject(MESSAGING_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.parts) {
      this.logger.warn('MQTT_URL is not set: commands are not dispatched, reports not ingested');
      return;
    }
    const { bus, dispatcher, ingestor, timeouts } = this.parts;
    await ingestor.start(); // subscriptions registered before the first connect
    await bus.start();
    dispatcher.start();
    await timeouts.start();
  }

  /** Before any onApplicationShutdown: the event store is still open while this stops. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.parts) return;
    const { bus, dispatcher, ingestor, timeouts } = this.parts;
    await ingestor.stop();
    await Promise.all([dispatcher.stop(), timeouts.stop()]);
    await bus.close();
  }
}

export interface MessagingModuleOptions {
  /** The service's root logger; lines get `component` dispatch, status-ingest, mqtt... */
  logger?: Logger;
  /** Already loaded and validated (main.ts does it at start-up); else read from the environment. */
  config?: MessagingConfig;
}

/**
 * The MQTT side of the service: the dispatcher (event store -> broker), the status ingestor
 * (broker -> commands), the job timeout watcher, the broker's health and metrics. Configured
 * from the environment (see messaging.config.ts); without MQTT_URL it stays idle.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions = {}): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: MESSAGING_CONFIG,
          useFactory: (): MessagingConfig | undefined =>
            options.config ?? (process.env.MQTT_URL ? loadMessagingConfig(process.env) : undefined),
        },
        {
          provide: MESSAGING_LOGGER,
          useFactory: (): Logger =>
            options.logger ??
            pino({ name: 'device-management', level: process.env.LOG_LEVEL ?? 'info' }),
        },
        {
          provide: MESSAGING_PARTS,
          inject: [MESSAGING_CONFIG, EVENT_STORE, CommandBus, MESSAGING_LOGGER, LocalCommits],
          useFactory: (
            config: MessagingConfig | undefined,
            store: EventStore,
            commandBus: CommandBus,
            logger: Logger,
            localCommits: LocalCommits,
          ): MessagingParts | undefined =>
            config && createMessagingParts(config, store, commandBus, logger, { localCommits }),
        },
        {
          provide: MESSAGE_BUS,
          inject: [MESSAGING_PARTS],
          useFactory: (parts: MessagingParts | undefined) => parts?.bus,
        },
        {
          provide: BrokerHealth,
          inject: [MESSAGING_PARTS],
          useFactory: (parts: MessagingParts | undefined) => new BrokerHealth(parts?.bus),
        },
        MessagingLifecycle,
      ],
      exports: [BrokerHealth, MESSAGE_BUS],
    };
  }
}

/** Builds the MQTT side from its configuration: also used by tests and benchmarks. */
export function createMessagingParts(
  config: MessagingConfig,
  store: EventStore,
  commands: { execute(command: object): Promise<unknown> },
  logger: Logger,
  { registry = register, localCommits }: { registry?: Registry; localCommits?: LocalCommits } = {},
): MessagingParts {
  const bus = new MqttMessageBus(config.mqtt, logger.child({ component: 'mqtt' }));
  const metrics = new MessagingMetrics(registry, bus);
  const dispatcher = new CommandDispatcher(
    store,
    bus,
    commands,
    metrics,
    logger.child({ component: 'dispatch' }),
    {
      commandExpiryMs: config.commandExpiryMs,
      maxBackoffMs: config.dispatchMaxBackoffMs,
      // PostgreSQL keeps the checkpoint in the store's own table: recording can be pipelined.
      checkpointer: store instanceof PostgresEventStore ? store.checkpointer() : undefined,
      localCommits,
    },
  );
  const ingestor = new StatusIngestor(
    bus,
    commands,
    metrics,
    logger.child({ component: 'status-ingest' }),
    {
      concurrency: config.ingestConcurrency,
      buffer: config.ingestBuffer,
      shareGroup: config.sharedGroup,
      maxBackoffMs: config.dispatchMaxBackoffMs,
    },
  );
  const timeouts = new JobTimeoutWatcher(
    store,
    commands,
    dispatcher,
    ingestor,
    logger.child({ component: 'job-timeouts' }),
    {
      timeoutMs: config.jobReportTimeoutMs,
      nudgeAfterMs: config.jobNudgeAfterMs,
      maxNudgeIntervalMs: config.jobNudgeMaxIntervalMs,
      sweepIntervalMs: config.jobTimeoutSweepMs,
    },
  );
  return { bus, dispatcher, ingestor, timeouts };
}
