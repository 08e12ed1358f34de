import type { Worker } from '../shared/worker';
import { WorkerLifecycle } from './worker-lifecycle';
import { memoryLogger } from '../../test/support/memory-logger';

/** A worker that writes what happens to it in `journal`. */
function worker(name: string, journal: string[], failsToStart = false): Worker {
  return {
    name,
    start: async () => {
      journal.push(`start ${name}`);
      if (failsToStart) throw new Error(`${name} cannot start`);
    },
    stop: async () => void journal.push(`stop ${name}`),
    caughtUp: async () => void journal.push(`caught up ${name}`),
  };
}

describe('WorkerLifecycle', () => {
  it('starts the workers in order once the app is up, and stops them in reverse', async () => {
    const journal: string[] = [];
    const lifecycle = new WorkerLifecycle(
      ['projection', 'bus', 'dispatcher'].map((name) => worker(name, journal)),
      memoryLogger().logger,
    );
    await lifecycle.onApplicationBootstrap();
    await lifecycle.beforeApplicationShutdown();
    await lifecycle.beforeApplicationShutdown();
    expect(journal).toEqual([
      'start projection',
      'start bus',
      'start dispatcher',
      'stop dispatcher',
      'stop bus',
      'stop projection',
    ]);
  });

  it('stops the workers already started when one fails to start, and fails', async () => {
    const journal: string[] = [];
    const { logger, lines } = memoryLogger();
    const lifecycle = new WorkerLifecycle(
      [worker('projection', journal), worker('bus', journal, true), worker('rollouts', journal)],
      logger,
    );
    await expect(lifecycle.onApplicationBootstrap()).rejects.toThrow('bus cannot start');
    expect(journal).toEqual(['start projection', 'start bus', 'stop projection']);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'worker failed to start', worker: 'bus' }),
    );
  });

  it('is caught up once every started worker is', async () => {
    const journal: string[] = [];
    const lifecycle = new WorkerLifecycle(
      ['projection', 'dispatcher'].map((name) => worker(name, journal)),
      memoryLogger().logger,
    );
    await lifecycle.onApplicationBootstrap();

    await lifecycle.caughtUp();

    expect(journal.slice(2)).toEqual(['caught up projection', 'caught up dispatcher']);
  });
});
