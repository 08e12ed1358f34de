import { randomUUID } from 'node:crypto';
import {
  EVIDENCE_MAX_BYTES,
  EVIDENCE_MAX_LINES,
  failureEvidenceSchema,
  utf8Length,
} from './failure-evidence';
import { MAX_MESSAGE_BYTES } from '../validation';
import { decodeStatusReport, STATUS_REPORT_SCHEMA } from './status-report';

const rolledBack = (evidence: unknown) => ({
  schema: STATUS_REPORT_SCHEMA,
  messageId: randomUUID(),
  jobId: randomUUID(),
  tenantId: 'acme',
  clientId: 'press-07',
  correlationId: 'req-1',
  seq: 9,
  at: '2026-11-23T10:00:02.000Z',
  jobKind: 'update',
  phase: 'rolled_back',
  version: '1.0.0',
  error: { code: 'unhealthy', message: 'the new container exited with code 1' },
  evidence,
});

describe('failure evidence', () => {
  const evidence = {
    workloadLog: ['opc-core 3.0.0 [crash-at-start]: crashing at start on purpose'],
    agentLog: ['10:00:01.000Z warn removing the failed new container container=c2'],
    truncated: false,
  };

  it('travels with a rolled-back report', () => {
    const report = rolledBack(evidence);
    expect(decodeStatusReport(JSON.stringify(report))).toEqual({ ok: true, value: report });
  });

  it('holds each source to its lines and bytes', () => {
    const lines = (n: number, size: number) => Array.from({ length: n }, () => 'x'.repeat(size));
    const ok = (value: unknown) => failureEvidenceSchema.safeParse(value).success;
    expect(ok({ ...evidence, workloadLog: lines(EVIDENCE_MAX_LINES, 10) })).toBe(true);
    expect(ok({ ...evidence, workloadLog: lines(EVIDENCE_MAX_LINES + 1, 10) })).toBe(false);
    expect(ok({ ...evidence, agentLog: lines(8, EVIDENCE_MAX_BYTES / 8) })).toBe(true);
    expect(ok({ ...evidence, agentLog: lines(8, EVIDENCE_MAX_BYTES / 8 + 1) })).toBe(false);
    // Bytes, not characters: 3 bytes each.
    expect(ok({ ...evidence, agentLog: lines(9, 1000).map((l) => l.replace(/x/g, '€')) })).toBe(
      false,
    );
  });

  it('over its bounds is dropped, the report kept, and the decoder says why', () => {
    const tooLong = { ...evidence, workloadLog: Array(EVIDENCE_MAX_LINES + 5).fill('line') };
    const decoded = decodeStatusReport(JSON.stringify(rolledBack(tooLong)));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).not.toHaveProperty('evidence');
    expect(decoded.value.phase).toBe('rolled_back');
    expect(decoded.evidenceErrors?.[0]?.path).toBe('evidence.workloadLog');
    const notEvidence = decodeStatusReport(JSON.stringify(rolledBack('see the device')));
    expect(notEvidence.ok && notEvidence.evidenceErrors?.length).toBe(1);
  });

  it('at its largest still travels well within the message limit (and any broker packet limit of 64 KiB or more)', () => {
    // Quotes are the worst an agent sends (it strips control characters): 2 bytes each in JSON.
    const full = Array.from({ length: EVIDENCE_MAX_LINES }, () =>
      '"'.repeat(Math.floor(EVIDENCE_MAX_BYTES / EVIDENCE_MAX_LINES)),
    );
    const largest = { workloadLog: full, agentLog: full, truncated: true };
    const encoded = JSON.stringify(rolledBack(largest));
    expect(decodeStatusReport(encoded)).toMatchObject({ ok: true, value: { evidence: largest } });
    expect(Buffer.byteLength(encoded)).toBeLessThan(36 * 1024);
    expect(Buffer.byteLength(encoded)).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it('a report broken elsewhere is still refused', () => {
    const broken = { ...rolledBack(evidence), seq: 0 };
    expect(decodeStatusReport(JSON.stringify(broken)).ok).toBe(false);
  });

  it('counts UTF-8 bytes as Buffer does', () => {
    for (const text of ['plain', 'Grüße', '€uro', '🔥 hot', 'lone \ud800 surrogate']) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});
