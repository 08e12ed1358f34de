import type { JobEvent } from '../api/types';
import { failedPhase, jobTimeline } from './job-timeline';

let revision = 0;
const event = (type: string, data: Record<string, unknown> = {}, at = revision): JobEvent => ({
  revision: revision++,
  type,
  data,
  metadata: {},
  recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, at * 100)).toISOString(),
});

describe('a job told by its events', () => {
  const rolledBack = [
    event('UpdateRequested', { image: 'r/opc:2' }),
    event('UpdateCommandDispatched'),
    event('UpdateReceived'),
    event('UpdatePhaseReported', { phase: 'pulling', progress: { percent: 42.4 } }),
    event('UpdatePhaseReported', { phase: 'verifying' }),
    event('UpdatePhaseReported', { phase: 'rolling_back' }),
    event('UpdateRolledBack', { reason: 'health check failed' }),
  ];

  it('lists the phases with their progress, reasons and the time since the one before', () => {
    const timeline = jobTimeline(rolledBack);
    expect(timeline.map((entry) => entry.what)).toEqual([
      'requested: r/opc:2',
      'sent to the device',
      'received by the device',
      'pulling 42%',
      'verifying',
      'rolling back',
      'rolled back: health check failed',
    ]);
    expect(timeline[0].afterMs).toBeUndefined();
    expect(timeline[1].afterMs).toBe(100);
  });

  it('names the phase an update failed in, and none for one that did not fail', () => {
    expect(failedPhase(rolledBack)).toBe('verifying');
    expect(failedPhase(rolledBack.slice(0, 5))).toBeUndefined();
    expect(failedPhase([event('UpdateRequested'), event('UpdateTimedOut')])).toBe(
      'before the device started',
    );
  });
});
