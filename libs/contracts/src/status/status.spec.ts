import { randomUUID } from 'node:crypto';
import { decodePresence, PRESENCE_SCHEMA } from './presence';
import { decodeReportAck, REPORT_ACK_SCHEMA } from './report-ack';
import { decodeStateSummary, STATE_SUMMARY_SCHEMA } from './state-summary';
import { decodeStatusReport, STATUS_REPORT_SCHEMA } from './status-report';

const base = () => ({
  schema: STATUS_REPORT_SCHEMA,
  messageId: randomUUID(),
  jobId: randomUUID(),
  tenantId: 'acme',
  clientId: 'press-07',
  correlationId: 'req-1',
  seq: 3,
  at: '2026-11-23T10:00:02.000Z',
});

describe('status report decoding', () => {
  it('reads an update phase with pull progress', () => {
    const report = {
      ...base(),
      jobKind: 'update',
      phase: 'pulling',
      progress: { bytes: 512, totalBytes: 2048, percent: 25 },
    };
    expect(decodeStatusReport(JSON.stringify(report))).toEqual({ ok: true, value: report });
  });

  it('reads a config rejection with the field errors the device found', () => {
    const report = {
      ...base(),
      jobKind: 'config',
      phase: 'rejected',
      configVersion: 4,
      error: {
        code: 'INVALID_CONFIG',
        message: 'settings failed validation',
        fieldErrors: [{ path: 'nodes.0.nodeId', message: 'bad' }],
      },
    };
    expect(decodeStatusReport(JSON.stringify(report))).toEqual({ ok: true, value: report });
  });

  it('refuses a phase that belongs to the other kind of job', () => {
    const report = { ...base(), jobKind: 'config', phase: 'pulling', configVersion: 1 };
    const result = decodeStatusReport(JSON.stringify(report));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(['phase']);
  });

  it('reads an update the device stopped because it was cancelled; a config job has no such phase', () => {
    const stopped = { ...base(), jobKind: 'update', phase: 'cancelled', version: '2.0.0' };
    expect(decodeStatusReport(JSON.stringify(stopped))).toEqual({ ok: true, value: stopped });
    const config = { ...base(), jobKind: 'config', phase: 'cancelled', configVersion: 1 };
    expect(decodeStatusReport(JSON.stringify(config)).ok).toBe(false);
  });

  it('refuses an unknown job kind and a sequence number below 1', () => {
    expect(
      decodeStatusReport(JSON.stringify({ ...base(), jobKind: 'reboot', phase: 'received' })).ok,
    ).toBe(false);
    const zeroSeq = decodeStatusReport(
      JSON.stringify({ ...base(), seq: 0, jobKind: 'update', phase: 'received' }),
    );
    expect(!zeroSeq.ok && zeroSeq.errors.map((e) => e.path)).toEqual(['seq']);
  });

  it('refuses a timestamp that is not ISO-8601', () => {
    const result = decodeStatusReport(
      JSON.stringify({ ...base(), at: 'yesterday', jobKind: 'update', phase: 'received' }),
    );
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(['at']);
  });
});

describe('presence and state decoding', () => {
  it('reads the last-will presence', () => {
    const presence = {
      schema: PRESENCE_SCHEMA,
      tenantId: 'acme',
      clientId: 'press-07',
      status: 'offline',
      at: '2026-11-23T10:00:00Z',
    };
    expect(decodePresence(JSON.stringify(presence))).toEqual({ ok: true, value: presence });
    expect(decodePresence(JSON.stringify({ ...presence, status: 'gone' })).ok).toBe(false);
  });

  it('reads a state summary with and without a job in flight', () => {
    const idle = {
      schema: STATE_SUMMARY_SCHEMA,
      tenantId: 'acme',
      clientId: 'press-07',
      at: '2026-11-23T10:00:00Z',
      agentVersion: '0.1.0',
      workload: { version: '2.1.0', image: 'r.example.com/opc:2.1.0', running: true },
      configVersion: 3,
      currentJob: null,
    };
    expect(decodeStateSummary(JSON.stringify(idle)).ok).toBe(true);
    const busy = {
      ...idle,
      currentJob: {
        jobId: randomUUID(),
        kind: 'update',
        state: 'verifying',
        since: '2026-11-23T10:00:00Z',
      },
    };
    expect(decodeStateSummary(JSON.stringify(busy))).toEqual({ ok: true, value: busy });
  });

  it('reads a workload that died and a clock skew the device measured, in presence and state', () => {
    const problem = {
      code: 'exited',
      message: 'exited with code 137',
      since: '2026-11-23T10:05:00Z',
    };
    const presence = {
      schema: PRESENCE_SCHEMA,
      tenantId: 'acme',
      clientId: 'press-07',
      status: 'online',
      at: '2026-11-23T10:05:01Z',
      workload: { running: false, problem },
      clockSkewSeconds: -3600,
    };
    expect(decodePresence(JSON.stringify(presence))).toEqual({ ok: true, value: presence });
    const state = {
      schema: STATE_SUMMARY_SCHEMA,
      tenantId: 'acme',
      clientId: 'press-07',
      at: '2026-11-23T10:05:01Z',
      agentVersion: '0.1.0',
      workload: { version: '2.1.0', running: false, problem },
      currentJob: null,
      clockSkewSeconds: 3600,
    };
    expect(decodeStateSummary(JSON.stringify(state))).toEqual({ ok: true, value: state });
    const unknownProblem = {
      ...presence,
      workload: { running: false, problem: { ...problem, code: 'sad' } },
    };
    expect(decodePresence(JSON.stringify(unknownProblem)).ok).toBe(false);
    expect(decodePresence(JSON.stringify({ ...presence, clockSkewSeconds: 1.5 })).ok).toBe(false);
  });
});

describe('report acks', () => {
  const ack = () => ({
    schema: REPORT_ACK_SCHEMA,
    tenantId: 'acme',
    clientId: 'press-07',
    jobId: randomUUID(),
    seq: 2,
    outcome: 'stored',
    at: '2026-11-23T10:00:02.000Z',
  });

  it('reads the service’s word that it holds a report', () => {
    const value = ack();
    expect(decodeReportAck(JSON.stringify(value))).toEqual({ ok: true, value });
  });

  it('refuses an ack without a seq, or with an outcome it does not know', () => {
    const { seq: _seq, ...withoutSeq } = ack();
    expect(decodeReportAck(JSON.stringify(withoutSeq)).ok).toBe(false);
    expect(decodeReportAck(JSON.stringify({ ...ack(), outcome: 'maybe' })).ok).toBe(false);
    expect(decodeReportAck('not json').ok).toBe(false);
  });
});
