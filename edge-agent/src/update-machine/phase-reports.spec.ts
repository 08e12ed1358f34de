import { DEFAULT_REDACTION, REDACTED } from './evidence/redaction';
import { phaseReportFor } from './phase-reports';
import type { UpdateJobContext } from './update-machine';

const context = {
  jobId: '3f6b2c1e-8a4d-4e7f-9b0c-5d1e2f3a4b5c',
  correlationId: 'c-1',
  targetVersion: '2.0.0',
  oldVersion: '1.0.0',
  error: {
    code: 'health_check_failed',
    message: 'exec probe exited 1: cannot connect as admin password=hunter2 to plc-1',
  },
} as unknown as UpdateJobContext;

describe('the report of a failure', () => {
  it("redacts the error's message as the evidence is redacted (an exec probe's output)", () => {
    const report = phaseReportFor(
      context,
      { at: '2026-11-30T23:00:00.000Z', from: 'rolling_back', to: 'rolled_back', event: 'DONE' },
      undefined,
      DEFAULT_REDACTION,
    );
    expect(report?.error?.code).toBe('health_check_failed');
    expect(report?.error?.message).not.toContain('hunter2');
    expect(report?.error?.message).toContain(REDACTED);
    expect(report?.error?.message).toContain('to plc-1');
  });
});
