import { randomUUID } from 'node:crypto';
import { decodeUpdateCommand, UPDATE_COMMAND_SCHEMA } from './commands/update-command';
import { decodeStatusReport, STATUS_REPORT_SCHEMA } from './status/status-report';
import {
  formatTraceparent,
  normalizeTraceparent,
  parseTraceparent,
  traceparentField,
} from './trace-context';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${SPAN}-01`;

describe('traceparent parsing (W3C Trace Context)', () => {
  it('reads the fields of a version-00 traceparent and writes them back the same', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    expect(formatTraceparent(parseTraceparent(VALID)!)).toBe(VALID);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.flags).toBe(0);
  });

  it('reads a later version by its first four fields, and writes it as version 00', () => {
    expect(normalizeTraceparent(`01-${TRACE}-${SPAN}-01-what-comes-later`)).toBe(VALID);
    expect(normalizeTraceparent(`cc-${TRACE}-${SPAN}-09`)).toBe(`00-${TRACE}-${SPAN}-09`);
  });

  it.each([
    ['missing', undefined],
    ['not a string', 42],
    ['empty', ''],
    ['garbage', 'hello'],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a long span id', `00-${TRACE}-${SPAN}0-01`],
    ['version 00 with a suffix', `${VALID}-extra`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-0g`],
    ['huge', `01-${TRACE}-${SPAN}-01-${'x'.repeat(1000)}`],
  ])('takes %s as no traceparent', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('the traceparent of an envelope', () => {
  const command = (extra: Record<string, unknown> = {}) => ({
    schema: UPDATE_COMMAND_SCHEMA,
    messageId: randomUUID(),
    jobId: randomUUID(),
    tenantId: 'acme',
    clientId: 'press-07',
    issuedAt: '2026-11-23T10:00:00.000Z',
    correlationId: 'req-1',
    payload: { targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' },
    ...extra,
  });

  it('travels in a command when it is valid', () => {
    const decoded = decodeUpdateCommand(JSON.stringify(command({ traceparent: VALID })));
    expect(decoded.ok && decoded.value.traceparent).toBe(VALID);
  });

  it('is optional: a command of an older service parses as before', () => {
    const decoded = decodeUpdateCommand(JSON.stringify(command()));
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.value.traceparent).toBeUndefined();
  });

  it('is dropped, not the message, when it is malformed', () => {
    for (const bad of ['nonsense', 7, `00-${TRACE.toUpperCase()}-${SPAN}-01`, null]) {
      const decoded = decodeUpdateCommand(JSON.stringify(command({ traceparent: bad })));
      expect(decoded.ok).toBe(true);
      expect(decoded.ok && decoded.value.traceparent).toBeUndefined();
    }
  });

  it('travels back in a status report', () => {
    const report = {
      schema: STATUS_REPORT_SCHEMA,
      messageId: randomUUID(),
      tenantId: 'acme',
      clientId: 'press-07',
      correlationId: 'req-1',
      jobId: randomUUID(),
      seq: 1,
      at: '2026-11-23T10:00:01.000Z',
      jobKind: 'update',
      phase: 'received',
      traceparent: VALID,
    };
    const decoded = decodeStatusReport(JSON.stringify(report));
    expect(decoded.ok && decoded.value.traceparent).toBe(VALID);
  });

  it('accepts only the version-00 form in messages', () => {
    expect(traceparentField.parse(`01-${TRACE}-${SPAN}-01`)).toBeUndefined();
    expect(traceparentField.parse(VALID)).toBe(VALID);
  });
});
