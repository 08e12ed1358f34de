import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';

/** An HTTP response, as far as writing a body with a trailer goes. */
export type TrailerWritable = Writable & { addTrailers(headers: Record<string, string>): void };

export interface DigestWritten {
  /** False when the receiver went away first: no trailer was sent. */
  complete: boolean;
  bytes: number;
  /** Hex SHA-256 of the bytes written (all of them when complete). */
  sha256: string;
}

/**
 * Writes every chunk and ends with the SHA-256 of what was written as the trailer `header`.
 * Backpressure: the next chunk is asked for only once the receiver has taken the last one
 * (`drain`), so a slow client holds the reading of PostgreSQL back instead of filling memory.
 * A receiver that closes stops the reading (the chunks' generator is returned).
 */
export async function writeWithDigest(
  chunks: AsyncIterable<string>,
  out: TrailerWritable,
  /** The trailer of the digest; none where the transfer cannot carry one (HTTP/1.0). */
  header: string | undefined,
): Promise<DigestWritten> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of chunks) {
    const buffer = Buffer.from(chunk, 'utf8');
    hash.update(buffer);
    bytes += buffer.length;
    if (!out.write(buffer)) await drainedOrClosed(out);
    // Gone: no next chunk is asked for (returning ends the generator, and its reading).
    if (out.destroyed) return { complete: false, bytes, sha256: hash.digest('hex') };
  }
  const sha256 = hash.digest('hex');
  if (out.destroyed) return { complete: false, bytes, sha256 };
  if (header) out.addTrailers({ [header]: sha256 });
  await new Promise<void>((resolve) => {
    out.once('close', resolve);
    out.end(resolve);
  });
  return { complete: true, bytes, sha256 };
}

function drainedOrClosed(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done).off('close', done);
      resolve();
    };
    out.on('drain', done).on('close', done);
  });
}
