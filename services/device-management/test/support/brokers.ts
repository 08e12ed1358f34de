import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createBroker } from 'aedes';

/** A broker a test can reach, and a way to make it unreachable and back. */
export interface TestBroker {
  name: 'aedes' | 'mosquitto';
  /** URL through a TCP proxy that the test can cut (outage) and restore. */
  url: string;
  /** Drops every connection and refuses new ones until `restore`. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Unique prefix for client ids and tenants, so parallel and repeated runs never meet. */
export const uniqueTestId = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A TCP proxy in front of `target`: cutting it looks to clients like the broker going down. */
async function cuttableProxy(targetHost: string, targetPort: number) {
  const sockets = new Set<net.Socket>();
  const makeServer = () =>
    net.createServer((inbound) => {
      const outbound = net.connect(targetPort, targetHost);
      sockets.add(inbound);
      sockets.add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const drop = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
    });
  let server = makeServer();
  const port = await listen(server);
  let up = true;
  return {
    port,
    async cut() {
      if (!up) return;
      up = false;
      await closeServer(server, sockets);
    },
    async restore() {
      if (up) return;
      server = makeServer();
      await listen(server, port);
      up = true;
    },
    async close() {
      if (up) await closeServer(server, sockets);
      up = false;
    },
  };
}

/** An in-process aedes (MQTT 3.1.1) on an ephemeral port, behind a cuttable proxy. */
export async function startTestAedes(): Promise<TestBroker> {
  const aedes = createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const port = await listen(server);
  const proxy = await cuttableProxy('127.0.0.1', port);
  return {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${proxy.port}`,
    cut: proxy.cut,
    restore: proxy.restore,
    async close() {
      await proxy.close();
      await closeServer(server, sockets);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** The machine's Mosquitto (MQTT 5), behind a cuttable proxy. */
export async function startTestMosquitto(): Promise<TestBroker> {
  const target = new URL(process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884');
  const proxy = await cuttableProxy(target.hostname, Number(target.port || 1883));
  return {
    name: 'mosquitto',
    url: `mqtt://127.0.0.1:${proxy.port}`,
    cut: proxy.cut,
    restore: proxy.restore,
    close: proxy.close,
  };
}

export const TEST_BROKERS = [
  ['aedes', startTestAedes],
  ['mosquitto', startTestMosquitto],
] as const;
