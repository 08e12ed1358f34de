import { Worker } from 'node:worker_threads';

export interface EmbeddedPostgresOptions {
  /** Folder of the database files; in memory when absent. */
  dataDir?: string;
  /** TCP port (default 0: a free one). */
  port?: number;
  /** Default 127.0.0.1: the embedded server has no authentication. */
  host?: string;
  /** Connections served at once (default 100); more are refused with "Too many connections". */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@host:port/postgres`, for `pg`, TypeORM or psql. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly) and serves it over the Postgres wire
 * protocol, so `pg` and TypeORM run unchanged.
 *
 * It runs in a worker thread: the database's CPU work stays off the caller's event loop, and
 * PGlite's dynamic `import()` of Node built-ins works even under jest, whose module sandbox
 * refuses them.
 *
 * PGlite is ONE backend. @electric-sql/pglite-socket multiplexes connections onto it: one
 * statement at a time, and while a connection is inside a transaction, statements of every
 * other connection wait until that transaction ends. So never await another connection from
 * inside a transaction (it deadlocks), expect no parallelism (a pool of 1-2 is plenty), and know
 * that NOTIFY reaches only the connection that sent it (the event store wakes subscribers of its
 * own process directly; others poll). pglite-socket's own default is a single connection,
 * refusing the second outright; this server allows `maxConnections`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      pglite: require.resolve('@electric-sql/pglite'),
      socket: require.resolve('@electric-sql/pglite-socket'),
      dataDir: options.dataDir ?? 'memory://',
      host,
      port: options.port ?? 0,
      maxConnections: options.maxConnections ?? 100,
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port: number }) => resolve(message.port));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`embedded PGlite exited with code ${code}`)));
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}

/** Plain CommonJS: evaluated by the worker without jest's or swc's module handling. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.socket);
(async () => {
  const db = await PGlite.create(workerData.dataDir);
  const server = new PGLiteSocketServer({
    db, host: workerData.host, port: workerData.port, maxConnections: workerData.maxConnections,
  });
  await server.start();
  parentPort.postMessage({ port: Number(server.getServerConn().split(':').pop()) });
  parentPort.on('message', async () => {
    await server.stop();
    await db.close();
    process.exit(0);
  });
})().catch((error) => { console.error(error); process.exit(1); });
`;
