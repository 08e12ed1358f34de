import pino from 'pino';
import { CommitSignal } from '@opcfleet/event-store/postgres/commit-signal';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing';

jest.setTimeout(30_000);

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A commit wakes this process's subscribers once, at once; its NOTIFY is for the others.
 * Hearing it back would make every subscriber of this process read a second time for nothing.
 */
describe('CommitSignal on PostgreSQL', () => {
  let database: TestDatabase;
  const signals: CommitSignal[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(signals.map((signal) => signal.close()));
    await database.drop();
  });

  function processSignal(): { signal: CommitSignal; wakes: () => number } {
    const signal = new CommitSignal({
      connectionString: database.url,
      schema: 'es_signal',
      listen: true,
      reconnectDelayMs: 100,
      logger: pino({ level: 'silent' }),
    });
    signals.push(signal);
    let count = 0;
    signal.onWake(() => count++);
    return { signal, wakes: () => count };
  }

  it('wakes its own process once per commit and the other process through NOTIFY', async () => {
    const here = processSignal();
    const there = processSignal();
    await settle(300); // both LISTEN; each looked once after connecting
    const [hereBefore, thereBefore] = [here.wakes(), there.wakes()];

    here.signal.committed();
    await settle(500);

    expect(here.wakes() - hereBefore).toBe(1);
    expect(there.wakes() - thereBefore).toBe(1);
  });
});
