import {
  EMPTY_AUDIT_FORM,
  formOfParams,
  isoToLocalDateTime,
  localDateTimeToIso,
  paramsOfSearch,
  subjectOf,
  toAuditSearch,
} from './audit-query';

const JOB = '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11';
const ROLLOUT = '3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77';

describe('datetime-local values and ISO instants', () => {
  it('reads a datetime-local value as the local time it is, to the millisecond', () => {
    // Whatever zone the machine is in: the same wall-clock time, in UTC.
    expect(localDateTimeToIso('2026-11-30T23:05')).toBe(
      new Date(2026, 10, 30, 23, 5).toISOString(),
    );
    expect(localDateTimeToIso('2026-03-01T00:00:07')).toBe(
      new Date(2026, 2, 1, 0, 0, 7).toISOString(),
    );
    expect(localDateTimeToIso('2026-03-01T00:00:07.5')).toBe(
      new Date(2026, 2, 1, 0, 0, 7, 500).toISOString(),
    );
  });

  it('refuses what is not one, or a day the calendar does not have', () => {
    for (const value of [
      '',
      'yesterday',
      '2026-11-30',
      '2026-11-30 23:05',
      '2026-11-30T23:05Z',
      '2026-13-01T00:00',
      '2026-02-30T10:00',
      '2026-11-30T24:00',
      '2026-11-30T23:60',
    ]) {
      expect(localDateTimeToIso(value)).toBeUndefined();
    }
  });

  it('shows an instant back in local time, seconds only when there are some', () => {
    for (const local of ['2026-11-30T23:05', '2026-01-02T03:04:05', '2026-01-02T03:04:05.060']) {
      expect(isoToLocalDateTime(localDateTimeToIso(local)!)).toBe(local);
    }
    expect(isoToLocalDateTime('not a time')).toBeUndefined();
  });
});

describe('the audit search of the form', () => {
  it('leaves empty fields out, trims the rest, converts the times, newest first by default', () => {
    expect(toAuditSearch(EMPTY_AUDIT_FORM)).toEqual({ ok: true, search: { order: 'newest' } });
    const result = toAuditSearch({
      ...EMPTY_AUDIT_FORM,
      clientId: ' line-1 ',
      actor: 'alice@example.com',
      jobId: JOB,
      rolloutId: ROLLOUT,
      types: 'UpdateRequested, UpdateFailed UpdateRequested',
      from: '2026-11-30T08:00',
      to: '2026-11-30T18:30',
      order: 'oldest',
    });
    expect(result).toEqual({
      ok: true,
      search: {
        clientId: 'line-1',
        actor: 'alice@example.com',
        jobId: JOB,
        rolloutId: ROLLOUT,
        type: ['UpdateRequested', 'UpdateFailed'],
        from: new Date(2026, 10, 30, 8, 0).toISOString(),
        to: new Date(2026, 10, 30, 18, 30).toISOString(),
        order: 'oldest',
      },
    });
  });

  it('says what is wrong beside each field: a time that is none, an empty range, an id that is no UUID', () => {
    expect(
      toAuditSearch({ ...EMPTY_AUDIT_FORM, from: '2026-02-30T10:00', jobId: 'job-1' }),
    ).toEqual({ ok: false, errors: { from: 'enter a date and time', jobId: 'must be a UUID' } });
    expect(
      toAuditSearch({ ...EMPTY_AUDIT_FORM, from: '2026-11-30T10:00', to: '2026-11-30T10:00' }),
    ).toEqual({ ok: false, errors: { to: 'must be later than From' } });
    expect(toAuditSearch({ ...EMPTY_AUDIT_FORM, rolloutId: 'x' })).toEqual({
      ok: false,
      errors: { rolloutId: 'must be a UUID' },
    });
  });

  it('round-trips through the page address: the same search, the form as typed', () => {
    const form = {
      ...EMPTY_AUDIT_FORM,
      clientId: 'line-1',
      types: 'UpdateRequested,UpdateRolledBack',
      from: '2026-11-30T08:00',
      order: 'oldest' as const,
    };
    const result = toAuditSearch(form);
    if (!result.ok) throw new Error('a valid form');
    const params = paramsOfSearch(result.search);
    expect(params).toEqual({
      clientId: 'line-1',
      type: 'UpdateRequested,UpdateRolledBack',
      from: new Date(2026, 10, 30, 8, 0).toISOString(),
      order: 'oldest',
    });
    expect(formOfParams(params)).toEqual(form);
    // Newest first is the default: not in the address.
    expect(paramsOfSearch({ clientId: 'a', order: 'newest' })).toEqual({ clientId: 'a' });
    expect(formOfParams({})).toEqual(EMPTY_AUDIT_FORM);
  });
});

describe('the subject of an audit event', () => {
  it('links clients, jobs, rollouts and releases to their pages', () => {
    expect(subjectOf({ subjectKind: 'client', subjectId: 'line 1' })).toEqual({
      text: 'client line 1',
      href: '#/clients/line%201',
    });
    expect(subjectOf({ subjectKind: 'update-job', subjectId: JOB })).toEqual({
      text: 'update job 0b0f3c52',
      href: `#/jobs/${JOB}`,
    });
    expect(subjectOf({ subjectKind: 'config-job', subjectId: JOB }).href).toBe(`#/jobs/${JOB}`);
    expect(subjectOf({ subjectKind: 'rollout', subjectId: ROLLOUT })).toEqual({
      text: 'rollout 3e0c0c8e',
      href: `#/rollouts/${ROLLOUT}`,
    });
    expect(subjectOf({ subjectKind: 'release', subjectId: ROLLOUT })).toEqual({
      text: 'release 3e0c0c8e',
      href: `#/releases/${ROLLOUT}`,
    });
  });
});
