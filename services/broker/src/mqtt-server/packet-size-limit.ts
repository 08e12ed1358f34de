import type { Client } from 'aedes';
import { z } from 'zod';

/** The default largest MQTT packet a client may send: 1 MiB, Mosquitto's `max_packet_size` here. */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

/** MQTT's own ceiling: a 4-byte remaining length (256 MiB - 1) plus the fixed header. */
export const MQTT_MAX_PACKET_BYTES = 1 + 4 + 268_435_455;

/**
 * A packet size limit as configured: at least 1 KiB, so that a CONNECT with credentials and a
 * will always fits; at most what MQTT can express.
 */
export const maxPacketBytesSchema = z.coerce
  .number({ error: 'must be a number of bytes' })
  .int({ error: 'must be a whole number of bytes' })
  .min(1024, { error: 'must be at least 1024 bytes' })
  .max(MQTT_MAX_PACKET_BYTES, { error: `must be at most ${MQTT_MAX_PACKET_BYTES} bytes` })
  .default(DEFAULT_MAX_PACKET_BYTES);

/** What the limit saw: enough for the log line that names the offender. */
export interface OversizedPacket {
  /** The packet type the header announced (`publish`, `connect`, ...). */
  packetType: string;
  /** Size of the whole packet (fixed header included), as its header announced it. */
  bytes: number;
  limit: number;
}

/**
 * The parts of mqtt-packet's Parser (the one each aedes Client owns) the limit hooks into.
 * aedes builds the parser itself and offers no size option, and the parser buffers a packet
 * whole before it emits it: without this hook a client can make the broker hold a 256 MiB
 * PUBLISH in memory, then pass it on to every subscriber.
 */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

function isPacketParser(value: unknown): value is PacketParser {
  const parser = value as Partial<PacketParser> | undefined;
  return typeof parser?._parseLength === 'function' && typeof parser._emitError === 'function';
}

/** Bytes of the variable-length encoding of `remainingLength` (MQTT 2.2.3). */
function lengthFieldBytes(remainingLength: number): number {
  if (remainingLength < 128) return 1;
  if (remainingLength < 16_384) return 2;
  if (remainingLength < 2_097_152) return 3;
  return 4;
}

export class PacketTooLargeError extends Error {
  constructor(readonly packet: OversizedPacket) {
    super(
      `${packet.packetType} packet of ${packet.bytes} bytes exceeds the limit of ${packet.limit}`,
    );
    this.name = 'PacketTooLargeError';
  }
}

/**
 * Refuses any packet whose fixed header announces more than `maxBytes` (the whole packet, as
 * Mosquitto counts `max_packet_size`), as soon as that header is parsed: the rest of the
 * packet is never buffered. The parser then fails, and aedes closes the connection as for any
 * malformed input. Must be called right after `aedes.handle()`, before the socket is read.
 *
 * Returns false when the parser is not the one this was written against (an aedes or
 * mqtt-packet upgrade): the caller must then refuse the connection rather than run unlimited.
 */
export function limitPacketSize(
  client: Client,
  maxBytes: number,
  onRefused: (packet: OversizedPacket) => void,
): boolean {
  const parser = (client as unknown as { _parser?: unknown })._parser;
  if (!isPacketParser(parser)) return false;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    if (!parseLength()) return false;
    const remaining = parser.packet.length;
    const bytes = 1 + lengthFieldBytes(remaining) + remaining;
    if (bytes <= maxBytes) return true;
    const packet = { packetType: parser.packet.cmd ?? 'unknown', bytes, limit: maxBytes };
    onRefused(packet);
    parser._emitError(new PacketTooLargeError(packet));
    return false;
  };
  return true;
}
