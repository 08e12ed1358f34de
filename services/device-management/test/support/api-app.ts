import type { INestApplication } from '@nestjs/common';
import { Server as TlsServer } from 'node:tls';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { createApp } from '../../src/app';
import { mintDevToken } from '../../src/auth/mint-dev-token';
import type { Role } from '../../src/auth/principal';
import { loadAppConfig } from '../../src/config/app.config';
import type { MessagingConfig } from '../../src/messaging/messaging.config';
import { memoryLogger } from './memory-logger';

export const TEST_JWT_SECRET = 'test-secret-for-the-device-management-suite';

/** The HTTP app on a fresh PostgreSQL database, listening on an ephemeral port. */
export class ApiApp {
  private constructor(
    readonly app: INestApplication,
    readonly database: TestDatabase,
    readonly logs: Array<Record<string, unknown>>,
  ) {}

  static async start(
    options: {
      database?: TestDatabase;
      databaseUrl?: string;
      /** The MQTT side; without it nothing is dispatched or ingested (no MQTT_URL). */
      messaging?: MessagingConfig;
      /** More settings of the service, as environment variables. */
      env?: Record<string, string>;
    } = {},
  ): Promise<ApiApp> {
    const database = options.database ?? (await createTestDatabase(undefined, 'dm_api'));
    const config = loadAppConfig({
      DATABASE_URL: options.databaseUrl ?? database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      HTTP_PORT: '0',
      DATABASE_POOL_MAX: '4',
      ...options.env,
    });
    const { logger, lines } = memoryLogger();
    const app = await createApp(config, logger, options.messaging);
    await app.listen(0, '127.0.0.1');
    return new ApiApp(app, database, lines);
  }

  get server() {
    return this.app.getHttpServer();
  }

  get url(): string {
    const address = this.server.address() as { port: number };
    const scheme = this.server instanceof TlsServer ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${address.port}`;
  }

  /** Closes the app; drops the database unless `keepDatabase`. */
  async stop({ keepDatabase = false } = {}): Promise<void> {
    await this.app.close();
    if (!keepDatabase) await this.database.drop();
  }
}

export function token(
  tenant: string,
  roles: Role[],
  subject = `user-${roles.join('-') || 'none'}`,
) {
  return mintDevToken(TEST_JWT_SECRET, { tenant, roles, subject });
}
