import type { JobView } from './agent-data';
import { formatDuration, formatJob, formatStatus } from './format';

const now = new Date('2026-11-23T10:10:00.000Z');
const update = (state: string, finished: boolean, extra: Partial<JobView> = {}): JobView => ({
  jobId: '0b7c1d2e-3f40-4a51-9c62-7d8e9fa0b1c2',
  kind: 'update',
  state,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:08:30.000Z',
  finished,
  ...extra,
});

describe('CLI views', () => {
  it('prints durations the way an SRE reads them', () => {
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(5 * 60_000 + 3000)).toBe('5 min 3 s');
    expect(formatDuration(3 * 3_600_000 + 60_000)).toBe('3 h 1 min');
  });

  it('status: the running job, its state and how long it has been there', () => {
    expect(formatStatus([update('committed', true), update('verifying', false)], 2, now)).toBe(
      [
        'update job 0b7c1d2e-3f40-4a51-9c62-7d8e9fa0b1c2: verifying since 2026-11-23T10:08:30.000Z (90 s)',
        'status reports waiting for the broker: 2',
      ].join('\n'),
    );
    expect(formatStatus([update('rolled_back', true)], 0, now)).toMatch(
      /^idle; last job .* ended rolled_back/,
    );
  });

  it("status: says first that another agent takes this identity's session", () => {
    const conflict = {
      since: '2026-11-23T10:05:00.000Z',
      takeovers: 4,
      evidence: 'session_taken_over' as const,
      reconnectInMs: 40_000,
    };
    expect(formatStatus([], 0, now, conflict).split('\n')[0]).toBe(
      'MQTT session taken over 4 times since 2026-11-23T10:05:00.000Z: another agent is running with this identity (here or on another host); new jobs are refused until it stops',
    );
  });

  it('inspect: the transition log with reasons, and an incompatible snapshot said plainly', () => {
    const record = {
      jobId: 'j',
      machineVersion: 1,
      state: 'rolled_back',
      context: {
        image: 'reg/opc:2',
        targetVersion: '2',
        error: { code: 'unhealthy', message: 'probe failed' },
      },
      log: [
        { at: 't1', from: null, to: 'received', event: 'START' },
        {
          at: 't2',
          from: 'verifying',
          to: 'rolling_back',
          event: 'UNHEALTHY',
          reason: 'probe failed 3 times',
        },
      ],
      reportedThrough: 2,
      createdAt: 't0',
      updatedAt: 't2',
    };
    const text = formatJob(update('rolled_back', true, { snapshot: { kind: 'ok', record } }), now);
    expect(text).toContain('    t1  (start) -> received  [START]');
    expect(text).toContain('    t2  verifying -> rolling_back  [UNHEALTHY]  probe failed 3 times');
    expect(text).toContain('  image: reg/opc:2');
    const old = formatJob(
      update('pulling', false, {
        snapshot: { kind: 'incompatible', jobId: 'j', machineVersion: 0, raw: {} },
      }),
      now,
    );
    expect(old).toContain('machine version 0: this agent cannot read it');
  });
});
