import Aedes from 'aedes';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const memoryPersistence: () => unknown = require('aedes-persistence');

/**
 * An in-process aedes that can be stopped and started again on the same port. Its sessions
 * and queued messages live in a persistence kept across restarts, as a real broker's would.
 */
export class RestartableAedes {
  private readonly persistence = memoryPersistence();
  private server: Server | null = null;
  private aedes: Aedes | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url() {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const aedes = new Aedes({ persistence: this.persistence as never });
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.aedes = aedes;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    await new Promise<void>((resolve) => this.aedes?.close(() => resolve()) ?? resolve());
    this.aedes = null;
    this.server = null;
  }
}
