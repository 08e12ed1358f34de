/**
 * The Docker engine API's log stream format. For a container without a TTY, `GET
 * /containers/{id}/logs` answers frames: an 8-byte header (stream type 0 stdin, 1 stdout,
 * 2 stderr; three zero bytes; the payload's size, 32-bit big-endian) and the payload. With a
 * TTY it answers the raw bytes. Podman's Docker API does the same.
 */
export type LogStreamType = 'stdin' | 'stdout' | 'stderr';

export interface LogFrame {
  stream: LogStreamType;
  payload: Buffer;
}

const STREAMS: readonly LogStreamType[] = ['stdin', 'stdout', 'stderr'];
const HEADER_BYTES = 8;

const isHeaderAt = (data: Buffer, offset: number) =>
  offset + HEADER_BYTES <= data.length &&
  data[offset]! <= 2 &&
  data[offset + 1] === 0 &&
  data[offset + 2] === 0 &&
  data[offset + 3] === 0;

/**
 * The frames of a multiplexed answer, or null when it is not one (a TTY's raw output). A last
 * frame cut short keeps what arrived of it.
 */
export function demuxLogFrames(data: Buffer): LogFrame[] | null {
  if (data.length === 0) return [];
  if (!isHeaderAt(data, 0)) return null;
  const frames: LogFrame[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (!isHeaderAt(data, offset)) return frames.length ? frames : null;
    const size = data.readUInt32BE(offset + 4);
    const start = offset + HEADER_BYTES;
    const end = Math.min(start + size, data.length);
    frames.push({ stream: STREAMS[data[offset]!]!, payload: data.subarray(start, end) });
    offset = start + size;
  }
  return frames;
}

/**
 * The last `lines` lines of an answer, within its last `maxBytes` bytes of text (a line cut
 * by that is left out), oldest first.
 */
export function logTail(data: Buffer, lines: number, maxBytes: number): string[] {
  const frames = demuxLogFrames(data);
  let bytes = frames
    ? Buffer.concat(frames.filter((f) => f.stream !== 'stdin').map((f) => f.payload))
    : data;
  let cut = false;
  if (bytes.length > maxBytes) {
    bytes = bytes.subarray(bytes.length - maxBytes);
    cut = true;
  }
  const all = bytes.toString('utf8').split('\n');
  if (cut && all.length > 1) all.shift();
  if (all.at(-1) === '') all.pop();
  const kept = lines > 0 ? all.slice(-lines) : [];
  return kept.map((line) => line.replace(/\r$/, ''));
}
