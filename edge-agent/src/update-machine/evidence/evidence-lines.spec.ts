import { evidenceLines, keepNewest, plainLines } from './evidence-lines';
import { DEFAULT_REDACTION } from './redaction';

const bounds = { maxLines: 3, maxBytes: 30, maxLineChars: 12 };

describe('evidence lines', () => {
  it('are plain text: no terminal colours, no control characters, no empty last line', () => {
    expect(plainLines('\x1b[31mERROR\x1b[0m boom\r\nnext\x07 line\x00\n')).toEqual([
      'ERROR boom',
      'next line',
    ]);
  });

  it('keep the newest lines within the line count, oldest first', () => {
    expect(keepNewest(['a', 'b', 'c', 'd', 'e'], bounds)).toEqual({
      lines: ['c', 'd', 'e'],
      truncated: true,
    });
    expect(keepNewest(['a', 'b'], bounds)).toEqual({ lines: ['a', 'b'], truncated: false });
  });

  it('keep within the bytes of UTF-8, and cut a long line with an ellipsis', () => {
    // 3 bytes per €: two lines of 9 € are 54 bytes, over 30.
    expect(keepNewest(['€€€€€€€€€', '€€€€€€€€€'], bounds)).toEqual({
      lines: ['€€€€€€€€€'],
      truncated: true,
    });
    expect(keepNewest(['0123456789abcdef'], bounds)).toEqual({
      lines: ['0123456789a…'],
      truncated: true,
    });
    // Never half of a surrogate pair.
    const cut = keepNewest(['0123456789🔥🔥'], bounds).lines[0]!;
    expect(cut).toBe('0123456789…');
  });

  it('redact before they cut, so a key spanning lines is caught whole', () => {
    const text = [
      'boot',
      '-----BEGIN PRIVATE KEY-----',
      ...Array.from({ length: 60 }, () => 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='),
      '-----END PRIVATE KEY-----',
      'token=abc done',
    ].join('\n');
    expect(evidenceLines(text, DEFAULT_REDACTION)).toEqual({
      lines: ['boot', '[REDACTED]', 'token=[REDACTED] done'],
      truncated: false,
    });
  });
});
