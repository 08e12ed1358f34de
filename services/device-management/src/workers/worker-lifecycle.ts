import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../observability/app-logger';
import type { Worker } from '../shared/worker';

/** Nest injection token of the workers, in the order they start. */
export const WORKERS = Symbol('Workers');

/**
 * Starts the workers once the whole application is up (so the command handlers they send to
 * exist), one after the other in their order, and stops them in reverse before any
 * onApplicationShutdown, while the database is still open. A worker that fails to start stops
 * those started before it, and the start fails.
 */
@Injectable()
export class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private started: Worker[] = [];
  private readonly logger: Logger;

  constructor(
    @Inject(WORKERS) private readonly workers: readonly Worker[],
    @Inject(APP_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'workers' });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const worker of this.workers) {
      try {
        await worker.start();
      } catch (error) {
        this.logger.error({ err: error, worker: worker.name }, 'worker failed to start');
        await this.stopStarted();
        throw error;
      }
      this.started.push(worker);
      this.logger.debug({ worker: worker.name }, 'worker started');
    }
  }

  /** Resolves once every started worker has handled what was there when called. */
  async caughtUp(): Promise<void> {
    await Promise.all(this.started.map((worker) => worker.caughtUp()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopStarted();
  }

  private async stopStarted(): Promise<void> {
    for (const worker of this.started.reverse()) {
      await worker.stop();
      this.logger.debug({ worker: worker.name }, 'worker stopped');
    }
    this.started = [];
  }
}
