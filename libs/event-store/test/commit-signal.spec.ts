import { Client } from 'pg';
import pino from 'pino';
import { ALONE_RECHECK_MS, CommitSignal } from '@opcfleet/event-store/postgres/commit-signal';
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

  it('wakes its own process once per commit and the other process through NOTIFY', async () => {
    const here = signalOf('es_signal', true);
    const there = signalOf('es_signal', true);
    await settle(300); // both LISTEN; each looked once after connecting
    const [hereBefore, thereBefore] = [here.wakes(), there.wakes()];

    here.signal.committed();
    await settle(500);

    expect(here.wakes() - hereBefore).toBe(1);
    expect(there.wakes() - thereBefore).toBe(1);
  });

  /** A connection that LISTENs without the store's name: it hears what a NOTIFY sends. */
  async function bystander(schema: string) {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const heard: number[] = [];
    client.on('notification', (message) => heard.push(message.processId));
    await client.query(`LISTEN ${schema}_events`);
    bystanders.push(client);
    return heard;
  }
  const bystanders: Client[] = [];
  afterEach(async () => {
    await Promise.all(bystanders.splice(0).map((client) => client.end()));
  });

  function signalOf(schema: string, listen: boolean) {
    const signal = new CommitSignal({
      connectionString: database.url,
      schema,
      listen,
      reconnectDelayMs: 100,
      logger: pino({ level: 'silent' }),
    });
    signals.push(signal);
    let count = 0;
    signal.onWake(() => count++);
    return { signal, wakes: () => count };
  }

  it('sends no NOTIFY while alone; its commits reach a process that starts to listen within the recheck', async () => {
    const heard = await bystander('es_alone');
    const alone = signalOf('es_alone', false);
    alone.signal.committed();
    alone.signal.committed();
    await settle(300);
    expect(heard).toEqual([]);

    signalOf('es_alone', true);
    // The newcomer's own NOTIFY, then the commits made while alone: no further commit needed.
    await waitFor(() => heard.length === 2, ALONE_RECHECK_MS + 2_000);
  });

  it('notifies at once again when it hears another process start to listen', async () => {
    const heard = await bystander('es_hello');
    const first = signalOf('es_hello', true);
    await waitFor(() => heard.length === 1, 5_000); // its own hello, once it listens
    first.signal.committed(); // alone: nothing sent
    await settle(300);
    expect(heard.length).toBe(1);

    const wakesBefore = first.wakes();
    signalOf('es_hello', true);
    await waitFor(() => first.wakes() > wakesBefore, 5_000); // it heard the newcomer
    first.signal.committed();
    await waitFor(() => heard.length === 3, ALONE_RECHECK_MS / 2);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await settle(5);
  }
}
