import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore, RecordedEvent } from '@opcfleet/event-store';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import type { Logger } from 'pino';
import { createApp } from '../../src/app';
import { RegisterClient } from '../../src/clients/register-client/register-client.command';
import { loadAppConfig } from '../../src/config/app.config';
import { CancelJob } from '../../src/jobs/cancel-job/cancel-job.command';
import { RequestConfigChange } from '../../src/jobs/config/request-config-change/request-config-change.command';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { BrokerHealth } from '../../src/messaging/broker-health';
import { loadMessagingConfig } from '../../src/messaging/messaging.config';
import type { CommandContext } from '../../src/shared/domain/domain-event';
import { configJobStream, updateJobStream } from '../../src/shared/domain/stream-names';
import { RequestUpdate } from '../../src/jobs/update/request-update/request-update.command';
import { memoryLogger } from './memory-logger';

/** HS256 key of the test services (tests only). */
export const TEST_JWT_SECRET = 'test-only-secret-of-the-messaging-suites-0123456789';

export interface StackSettings {
  databaseUrl: string;
  mqttUrl: string;
  /** MQTT client id of the service: the same id across a restart resumes its session. */
  mqttClientId: string;
  env?: Record<string, string>;
  /** Where logs go instead of memory (benchmarks: a real sink, nothing kept). */
  logger?: Logger;
  /** Connections of the event store's pool (default 10). */
  poolMax?: number;
}

/** A job the stack requested: its id, its correlation id and its stream. */
export interface StackJob {
  jobId: string;
  correlationId: string;
  streamName: string;
}

/**
 * The command side and the MQTT side of the service on a real database and broker, with the
 * real handlers and the real MQTT side (configured from the environment like in
 * production). Logs go to `logs` so tests can check what was said.
 */
export class ServiceStack {
  private constructor(
    readonly app: INestApplication,
    readonly logs: Array<Record<string, unknown>>,
  ) {}

  /** The production composition (createApp with the MQTT side), initialised but not listening. */
  static async start(settings: StackSettings): Promise<ServiceStack> {
    const memory = settings.logger ? undefined : memoryLogger();
    const logger = settings.logger ?? memory!.logger;
    const lines = memory?.lines ?? [];
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: settings.databaseUrl,
      DATABASE_POOL_MAX: String(settings.poolMax ?? 10),
      JWT_SECRET: TEST_JWT_SECRET,
      MQTT_URL: settings.mqttUrl,
      MQTT_CLIENT_ID: settings.mqttClientId,
      DISPATCH_MAX_BACKOFF_SECONDS: '0.5',
      MQTT_PUBACK_TIMEOUT_SECONDS: '2',
      // A stopped test service's session (subscribed to every status topic) would otherwise
      // queue the reports of every later test for an hour.
      MQTT_SESSION_EXPIRY_SECONDS: '60',
      ...settings.env,
    };
    const app = await createApp(loadAppConfig(env), logger, loadMessagingConfig(env));
    await app.init();
    return new ServiceStack(app, lines);
  }

  get store(): EventStore {
    return this.app.get(EVENT_STORE);
  }

  get commands(): CommandBus {
    return this.app.get(CommandBus);
  }

  get brokerHealth(): BrokerHealth {
    return this.app.get(BrokerHealth);
  }

  async stop(): Promise<void> {
    await this.app.close();
  }

  context(tenantId: string): CommandContext {
    return {
      actor: 'test:admin',
      tenantId,
      correlationId: `test-${Math.random().toString(36).slice(2)}`,
    };
  }

  async registerClient(tenantId: string, clientId: string, version = '1.0.0'): Promise<void> {
    await this.commands.execute(
      new RegisterClient({ context: this.context(tenantId), clientId, labels: {}, version }),
    );
  }

  async requestUpdate(
    tenantId: string,
    clientId: string,
    targetVersion = '2.0.0',
  ): Promise<StackJob> {
    const context = this.context(tenantId);
    const result = (await this.commands.execute(
      new RequestUpdate({
        context,
        clientId,
        targetVersion,
        image: `registry.example.com/opc-core:${targetVersion}`,
      }),
    )) as { jobId: string };
    return {
      jobId: result.jobId,
      correlationId: context.correlationId,
      streamName: updateJobStream(tenantId, result.jobId),
    };
  }

  async requestConfig(
    tenantId: string,
    clientId: string,
    version: number,
    settings: Record<string, unknown>,
  ): Promise<StackJob> {
    const context = this.context(tenantId);
    const result = (await this.commands.execute(
      new RequestConfigChange({ context, clientId, version, settings }),
    )) as { jobId: string };
    return {
      jobId: result.jobId,
      correlationId: context.correlationId,
      streamName: configJobStream(tenantId, result.jobId),
    };
  }

  /** Cancels as an admin would through the API. */
  async cancelJob(tenantId: string, jobId: string, reason?: string): Promise<void> {
    await this.commands.execute(
      new CancelJob({ context: this.context(tenantId), roles: ['admin'], jobId, reason }),
    );
  }

  async jobEvents(job: Pick<StackJob, 'streamName'>): Promise<RecordedEvent[]> {
    return this.store.readStream(job.streamName);
  }

  async jobEventTypes(job: Pick<StackJob, 'streamName'>): Promise<string[]> {
    return (await this.jobEvents(job)).map((event) => event.type);
  }

  logsWith(message: string): Array<Record<string, unknown>> {
    return this.logs.filter((line) => line.msg === message);
  }
}

/** A fresh database; the service creates its tables at start. */
export function createServiceDatabase(): Promise<TestDatabase> {
  return createTestDatabase(undefined, 'dm_msg_test');
}
