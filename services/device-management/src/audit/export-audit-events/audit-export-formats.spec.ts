import type { AuditEventDto } from '../audit-event.dto';
import { csvCell, csvHeader, csvRow, exportChunks, ndjsonLine } from './audit-export-formats';

const event: AuditEventDto = {
  eventId: '5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19',
  type: 'UpdateFailed',
  recordedAt: '2026-11-23T10:00:05.123Z',
  subjectKind: 'update-job',
  subjectId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
  revision: 4,
  actor: 'device:press-7',
  correlationId: 'c-1',
  data: { reason: 'health check failed, "exit 1"\nretry' },
};

describe('CSV cells', () => {
  it('leaves plain text and numbers as they are', () => {
    expect(csvCell('UpdateFailed')).toBe('UpdateFailed');
    expect(csvCell(4)).toBe('4');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes commas, quotes, line breaks and surrounding spaces, doubling quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell(' padded ')).toBe('" padded "');
  });

  it.each(['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])(
    'keeps a spreadsheet from running %j: a leading quote, and quoted',
    (formula) => {
      const cell = csvCell(formula);
      expect(cell.startsWith(`"'`)).toBe(true);
      expect(cell.slice(2, -1).replace(/""/g, '"')).toBe(formula);
    },
  );
});

describe('export lines', () => {
  it('writes a CSV row per event under the header, data as JSON in one cell', () => {
    expect(csvHeader()).toBe(
      'recordedAt,eventId,type,subjectKind,subjectId,revision,actor,correlationId,causationId,data\r\n',
    );
    expect(csvRow(event)).toBe(
      '2026-11-23T10:00:05.123Z,5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19,UpdateFailed,update-job,' +
        '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11,4,device:press-7,c-1,,' +
        '"{""reason"":""health check failed, \\""exit 1\\""\\nretry""}"\r\n',
    );
  });

  it('writes one NDJSON line per event, whatever its data holds', () => {
    const line = ndjsonLine(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(event);
  });

  it('yields the CSV header first, then one chunk per page', async () => {
    async function* pages() {
      yield [event];
      yield [event, event];
    }
    const chunks: string[] = [];
    for await (const chunk of exportChunks('csv', pages())) chunks.push(chunk);
    expect(chunks).toEqual([csvHeader(), csvRow(event), csvRow(event) + csvRow(event)]);
    const ndjson: string[] = [];
    for await (const chunk of exportChunks('ndjson', pages())) ndjson.push(chunk);
    expect(ndjson).toHaveLength(2);
  });
});
