import {
  isInsideWindow,
  isTimeZone,
  nextWindowOpening,
  timeZoneOfTarget,
  type MaintenanceWindow,
} from './maintenance-window';

const nights: MaintenanceWindow = {
  timeZone: 'Europe/Berlin',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '22:00',
  end: '04:00',
};
const saturdayMornings: MaintenanceWindow = {
  timeZone: 'America/New_York',
  days: ['sat'],
  start: '06:00',
  end: '09:30',
};

describe('maintenance windows', () => {
  it('is open from start to end on its days, in its time zone', () => {
    // Tuesday 2026-12-01 22:30 in Berlin is 21:30 UTC (winter time, UTC+1).
    expect(isInsideWindow(nights, '2026-12-01T21:30:00.000Z')).toBe(true);
    expect(isInsideWindow(nights, '2026-12-01T20:59:00.000Z')).toBe(false);
    // Saturday 2026-12-05 06:00 in New York is 11:00 UTC; 09:30 is 14:30 UTC (end excluded).
    expect(isInsideWindow(saturdayMornings, '2026-12-05T11:00:00.000Z')).toBe(true);
    expect(isInsideWindow(saturdayMornings, '2026-12-05T14:29:00.000Z')).toBe(true);
    expect(isInsideWindow(saturdayMornings, '2026-12-05T14:30:00.000Z')).toBe(false);
    expect(isInsideWindow(saturdayMornings, '2026-12-06T11:00:00.000Z')).toBe(false);
  });

  it('crosses midnight into the morning after an opening day only', () => {
    // Saturday 03:00 in Berlin follows Friday night: open. Sunday 03:00 follows Saturday: closed.
    expect(isInsideWindow(nights, '2026-12-05T02:00:00.000Z')).toBe(true);
    expect(isInsideWindow(nights, '2026-12-06T02:00:00.000Z')).toBe(false);
    // Monday 03:00 follows Sunday night, which is no opening day.
    expect(isInsideWindow(nights, '2026-12-07T02:00:00.000Z')).toBe(false);
  });

  it('finds the next opening, across a weekend and a clock change', () => {
    // Friday 2026-12-04 23:00 Berlin -> next opening Monday 22:00 Berlin = 21:00 UTC.
    expect(nextWindowOpening(nights, '2026-12-04T22:00:00.000Z')).toBe('2026-12-07T21:00:00.000Z');
    // Berlin goes to summer time on Sunday 2027-03-28: Monday 22:00 is 20:00 UTC.
    expect(nextWindowOpening(nights, '2027-03-27T12:00:00.000Z')).toBe('2027-03-29T20:00:00.000Z');
    // Strictly after: at the opening itself, the next day's.
    expect(nextWindowOpening(saturdayMornings, '2026-12-05T11:00:00.000Z')).toBe(
      '2026-12-12T11:00:00.000Z',
    );
  });

  it('knows the time zones of the runtime', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('reads a target’s zone from its label value, "." standing for "/", else the window’s', () => {
    const byLabel: MaintenanceWindow = { ...nights, timeZoneLabel: 'tz' };
    expect(timeZoneOfTarget(byLabel, 'America.Los_Angeles')).toBe('America/Los_Angeles');
    expect(timeZoneOfTarget(byLabel, 'America/Los_Angeles')).toBe('America/Los_Angeles');
    expect(timeZoneOfTarget(byLabel, 'UTC')).toBe('UTC');
    // One zone however it is spelled.
    expect(timeZoneOfTarget(byLabel, 'asia.tokyo')).toBe('Asia/Tokyo');
    // No such zone, or no label: the window's own.
    expect(timeZoneOfTarget(byLabel, 'Mars.Olympus_Mons')).toBe('Europe/Berlin');
    expect(timeZoneOfTarget(byLabel, '')).toBe('Europe/Berlin');
    expect(timeZoneOfTarget(byLabel, undefined)).toBe('Europe/Berlin');
  });
});
