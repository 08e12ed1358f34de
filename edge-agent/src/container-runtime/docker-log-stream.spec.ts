import { demuxLogFrames, logTail } from './docker-log-stream';

function frame(stream: 0 | 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Docker log stream', () => {
  it('demultiplexes stdout and stderr frames in the order written', () => {
    const data = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(demuxLogFrames(data)!.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out 1\n'],
      ['stderr', 'err 1\n'],
      ['stdout', 'out 2\n'],
    ]);
    expect(logTail(data, 50, 1024)).toEqual(['out 1', 'err 1', 'out 2']);
  });

  it('joins a character split across two frames', () => {
    const euro = Buffer.from('price 3€\n', 'utf8');
    const data = Buffer.concat([frame(1, euro.subarray(0, 8)), frame(1, euro.subarray(8))]);
    expect(logTail(data, 50, 1024)).toEqual(['price 3€']);
  });

  it('reads the raw output of a container with a TTY as it is', () => {
    const raw = Buffer.from('tty line 1\r\ntty line 2\r\n');
    expect(demuxLogFrames(raw)).toBeNull();
    expect(logTail(raw, 50, 1024)).toEqual(['tty line 1', 'tty line 2']);
  });

  it('keeps what arrived of a frame cut short, and nothing of an empty answer', () => {
    const data = frame(1, 'whole line\n');
    const cut = Buffer.concat([data, frame(2, 'half of it\n').subarray(0, 12)]);
    expect(logTail(cut, 50, 1024)).toEqual(['whole line', 'half']);
    expect(logTail(Buffer.alloc(0), 50, 1024)).toEqual([]);
  });

  it('keeps the last lines within the last bytes, leaving out a line the bytes cut', () => {
    const data = Buffer.concat(
      Array.from({ length: 10 }, (_, i) => frame(i % 2 ? 2 : 1, `line ${i}\n`)),
    );
    expect(logTail(data, 3, 1024)).toEqual(['line 7', 'line 8', 'line 9']);
    // 'line 9\n' is 7 bytes: the last 10 bytes hold a cut 'line 8' and 'line 9'.
    expect(logTail(data, 50, 10)).toEqual(['line 9']);
    expect(logTail(data, 0, 1024)).toEqual([]);
  });
});
