import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { writeWithDigest } from './digest-writer';

/** A receiver that takes one chunk at a time, when the test says so, and keeps the trailers. */
class SlowReceiver extends Writable {
  readonly received: Buffer[] = [];
  trailers: Record<string, string> | undefined;
  private pending: Array<() => void> = [];

  constructor() {
    super({ highWaterMark: 1 });
  }

  override _write(chunk: Buffer, _: BufferEncoding, done: (error?: Error) => void): void {
    this.pending.push(() => {
      this.received.push(chunk);
      done();
    });
  }

  /** Takes the chunk waiting, if any. */
  take(): boolean {
    const next = this.pending.shift();
    next?.();
    return next !== undefined;
  }

  addTrailers(headers: Record<string, string>): void {
    this.trailers = headers;
  }
}

describe('writeWithDigest', () => {
  it('asks for a chunk only once the receiver has taken the one before, and ends with the digest', async () => {
    const receiver = new SlowReceiver();
    let produced = 0;
    async function* chunks() {
      for (let i = 0; i < 20; i++) {
        produced++;
        yield `chunk ${i}\n`;
      }
    }
    const written = writeWithDigest(chunks(), receiver, 'X-Content-SHA256');
    let taken = 0;
    while (taken < 20) {
      await new Promise((resolve) => setImmediate(resolve));
      // Never more than one chunk ahead of the receiver (the one it is being handed).
      expect(produced - taken).toBeLessThanOrEqual(2);
      if (receiver.take()) taken++;
    }
    const result = await written;
    const body = Buffer.concat(receiver.received);
    expect(result).toEqual({
      complete: true,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(receiver.trailers).toEqual({ 'X-Content-SHA256': result.sha256 });
  });

  it('stops reading when the receiver goes away, and sends no trailer', async () => {
    const receiver = new SlowReceiver();
    let produced = 0;
    let returned = false;
    async function* chunks() {
      try {
        for (;;) {
          produced++;
          yield 'x'.repeat(100);
        }
      } finally {
        returned = true;
      }
    }
    const written = writeWithDigest(chunks(), receiver, 'X-Content-SHA256');
    await new Promise((resolve) => setImmediate(resolve));
    receiver.destroy();
    const result = await written;
    expect(result.complete).toBe(false);
    expect(returned).toBe(true);
    expect(produced).toBeLessThan(5);
    expect(receiver.trailers).toBeUndefined();
  });
});
