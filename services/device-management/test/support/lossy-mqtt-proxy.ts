import net from 'node:net';

/**
 * A TCP proxy between one MQTT client (the service) and its broker that behaves like a broker
 * shedding load: it drops a share of the PUBLISH packets the broker sends to the client whose
 * topic matches, and acknowledges each dropped QoS 1 packet to the broker itself, as a broker
 * that discards a queued message does (the broker believes it delivered; the client never sees
 * it). Everything else passes unchanged. MQTT 3.1.1 and 5 frame packets alike, so it reads both.
 */
export class LossyMqttProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private seen = 0;
  /** PUBLISH packets dropped so far. */
  dropped = 0;
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly options: {
      /** Drop packets on topics for which this is true... */
      topic: (topic: string) => boolean;
      /** ...every `every`-th of them (3: a third), deterministic so a run can be repeated. */
      every: number;
    },
  ) {}

  static async start(
    targetUrl: string,
    options: LossyMqttProxy['options'],
  ): Promise<LossyMqttProxy> {
    const url = new URL(targetUrl);
    const proxy = new LossyMqttProxy({ host: url.hostname, port: Number(url.port) }, options);
    proxy.server = net.createServer((client) => proxy.connect(client));
    await new Promise<void>((resolve) => proxy.server!.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private connect(client: net.Socket): void {
    const broker = net.connect(this.target.port, this.target.host);
    for (const socket of [client, broker]) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        broker.destroy();
      });
      socket.on('error', () => undefined);
    }
    client.pipe(broker);
    let pending = Buffer.alloc(0);
    broker.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let packet = nextPacket(pending); packet; packet = nextPacket(pending)) {
        pending = pending.subarray(packet.length);
        const publish = readPublish(packet);
        if (
          publish &&
          this.options.topic(publish.topic) &&
          ++this.seen % this.options.every === 0
        ) {
          this.dropped++;
          // PUBACK (type 4): the broker considers the message delivered.
          if (publish.packetId !== undefined) {
            broker.write(Buffer.from([0x40, 0x02, publish.packetId >> 8, publish.packetId & 0xff]));
          }
          continue;
        }
        client.write(packet);
      }
    });
  }
}

/** The first whole packet in `buffer`, or undefined while it is incomplete. */
function nextPacket(buffer: Buffer): Buffer | undefined {
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (buffer.length <= i) return undefined;
    const byte = buffer[i];
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      const total = 1 + i + length;
      return buffer.length >= total ? buffer.subarray(0, total) : undefined;
    }
  }
  throw new Error('malformed MQTT remaining length');
}

/** Topic and packet id of a PUBLISH packet (undefined for any other packet). */
function readPublish(packet: Buffer): { topic: string; packetId?: number } | undefined {
  if (packet[0] >> 4 !== 3) return undefined;
  let offset = 1;
  while (packet[offset] & 0x80) offset++;
  offset++;
  const topicLength = packet.readUInt16BE(offset);
  const topic = packet.subarray(offset + 2, offset + 2 + topicLength).toString('utf8');
  const qos = (packet[0] >> 1) & 3;
  return qos > 0 ? { topic, packetId: packet.readUInt16BE(offset + 2 + topicLength) } : { topic };
}
