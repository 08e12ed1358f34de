import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { startService, type RunningService } from '../../src/start-service';
import { memoryLogger } from './memory-logger';

export interface NpmStartService {
  service: RunningService;
  database: TestDatabase;
  /** A JSON call of the REST API as the development admin; throws unless it answers 2xx. */
  api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  /** Stops the service, drops its database and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * The service as `npm start` runs it (embedded aedes on a free port, the development key unless
 * `env` gives another), on a fresh test database named after `name`, on 127.0.0.1 and a free
 * port, silent. `env` adds or overrides variables.
 */
export async function startNpmStartService(
  name: string,
  env: Record<string, string> = {},
): Promise<NpmStartService> {
  const [database, dataDir] = await Promise.all([
    createTestDatabase(undefined, name),
    mkdtemp(join(tmpdir(), `${name}-`)),
  ]);
  try {
    const service = await startService(
      {
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
        EMBEDDED_MQTT_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        DATABASE_POOL_MAX: '4',
        LOG_LEVEL: 'silent',
        ...env,
      },
      memoryLogger().logger,
    );
    return {
      service,
      database,
      async api(method, path, body) {
        const response = await fetch(`${service.httpUrl}/api/v1${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${service.token}`,
            ...(body !== undefined && { 'Content-Type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        if (!response.ok) {
          throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        }
        return response.json() as Promise<Record<string, unknown>>;
      },
      async stop() {
        await service.stop();
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
