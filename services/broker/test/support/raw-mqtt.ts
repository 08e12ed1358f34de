import { once } from 'node:events';
import type { Socket } from 'node:net';

/**
 * MQTT 3.1.1 packets written by hand, for a client that misbehaves where mqtt.js would not:
 * a packet header that announces more than the client ever means to send in one piece.
 */
function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

const utf8 = (text: string) => {
  const body = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([length, body]);
};

/** CONNECT, clean session, keep-alive 60 s, with optional username and password. */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    utf8('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    utf8(clientId),
    ...(username !== undefined ? [utf8(username)] : []),
    ...(password !== undefined ? [utf8(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** The fixed header and topic of a QoS 0 PUBLISH whose payload of `payloadBytes` follows. */
export function publishHead(topic: string, payloadBytes: number): Buffer {
  const name = utf8(topic);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(name.length + payloadBytes), name]);
}

/** Size of the whole QoS 0 PUBLISH packet of `payloadBytes` on `topic`. */
export function publishPacketBytes(topic: string, payloadBytes: number): number {
  return publishHead(topic, payloadBytes).length + payloadBytes;
}

/** Resolves once the broker's CONNACK accepting the connection has arrived. */
export async function awaitConnack(socket: Socket): Promise<void> {
  const [data] = (await once(socket, 'data')) as [Buffer];
  if (data[0] !== 0x20 || data[3] !== 0) {
    throw new Error(`expected a CONNACK accepting the connection, got ${data.toString('hex')}`);
  }
}

/**
 * Writes `total` bytes of payload in chunks, waiting for the socket to drain between them (so
 * this process never holds more than a chunk), until done or until the broker closes the
 * connection. Returns how many bytes the socket took before it closed.
 */
export async function streamPayload(socket: Socket, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  let written = 0;
  let closed = socket.destroyed;
  socket.once('close', () => (closed = true));
  socket.on('error', () => undefined); // EPIPE/ECONNRESET once the broker hung up: expected
  while (!closed && written < total) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - written));
    written += piece.length;
    if (!socket.write(piece)) await drainedOrClosed(socket);
  }
  return written;
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
