import type { IsoTimestamp } from '../../shared/domain/domain-event';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * Weekly hours in which a rollout may start jobs, in a time zone (IANA, e.g. Europe/Berlin):
 * from `start` to `end` (`HH:MM`, local time) on each of `days`. An `end` at or before `start`
 * crosses midnight into the next day (22:00-04:00); jobs already started run to their end.
 */
export interface MaintenanceWindow {
  timeZone: string;
  /**
   * A client label naming the client's own time zone: a target with it gets its jobs inside
   * these hours in its zone; a target without it, or with no known zone, in `timeZone`.
   */
  timeZoneLabel?: string;
  days: Weekday[];
  start: string;
  end: string;
}

/**
 * The time zone of a target's hours, from the value of its `timeZoneLabel` (absent: none).
 * Label values cannot hold a `/`, so a `.` stands for it (`Europe.Berlin`, `America.Los_Angeles`;
 * no IANA name has a `.`). A value the runtime knows no zone by falls back to the window's own:
 * a client's label never stops a rollout. The zone is the runtime's canonical name, so that
 * `europe.berlin` and `Europe/Berlin` count as one zone.
 */
export function timeZoneOfTarget(window: MaintenanceWindow, labelValue?: string): string {
  if (labelValue === undefined) return window.timeZone;
  return canonicalTimeZone(labelValue.replaceAll('.', '/')) ?? window.timeZone;
}

/** The window's hours in another time zone. */
export const windowIn = (window: MaintenanceWindow, timeZone: string): MaintenanceWindow =>
  timeZone === window.timeZone ? window : { ...window, timeZone };

/** True when `at` falls inside one of the window's hours. */
export function isInsideWindow(window: MaintenanceWindow, at: IsoTimestamp): boolean {
  const local = localTime(window.timeZone, Date.parse(at));
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const opensOn = (day: number) => window.days.includes(WEEKDAYS[(day + 7) % 7]);
  if (start < end) return opensOn(local.weekday) && local.minutes >= start && local.minutes < end;
  // Crossing midnight: the evening of an opening day, or the morning after one.
  return (
    (opensOn(local.weekday) && local.minutes >= start) ||
    (opensOn(local.weekday - 1) && local.minutes < end)
  );
}

/** The first opening of the window after `at` (within the next eight days). */
export function nextWindowOpening(
  window: MaintenanceWindow,
  at: IsoTimestamp,
): IsoTimestamp | undefined {
  const after = Date.parse(at);
  const today = localTime(window.timeZone, after);
  const start = minutesOf(window.start);
  for (let days = 0; days <= 8; days++) {
    const weekday = (today.weekday + days) % 7;
    if (!window.days.includes(WEEKDAYS[weekday])) continue;
    const { year, month, day } = today;
    const opening = zonedToUtc(window.timeZone, year, month, day + days, start);
    if (opening > after) return new Date(opening).toISOString();
  }
  return undefined;
}

/** True when the runtime knows the time zone. */
export const isTimeZone = (timeZone: string): boolean => canonicalTimeZone(timeZone) !== undefined;

const canonicalNames = new Map<string, string | undefined>();
/** Names remembered: every zone in a few spellings; label values are clients' input. */
const CANONICAL_NAMES_KEPT = 2_000;

/**
 * The runtime's name of the time zone (undefined: it knows none by that name). Remembered: a
 * rollout's 10,000 targets name a few zones, and a formatter costs tens of microseconds.
 */
function canonicalTimeZone(timeZone: string): string | undefined {
  if (canonicalNames.has(timeZone)) return canonicalNames.get(timeZone);
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    canonical = undefined;
  }
  if (canonicalNames.size >= CANONICAL_NAMES_KEPT) canonicalNames.clear();
  canonicalNames.set(timeZone, canonical);
  return canonical;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

interface LocalTime {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(timeZone: string, epochMs: number): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(epochMs)).map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS.indexOf(parts.weekday.toLowerCase().slice(0, 3) as Weekday),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/**
 * The instant at which the wall clock of `timeZone` shows this local date and time (`day`
 * may run past the month's end). In a gap of a clock change (02:30 on the night clocks go
 * forward) it is the instant just after the gap.
 */
function zonedToUtc(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  minutes: number,
): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const offsetAt = (instant: number) => {
    const local = localTime(timeZone, instant);
    const localAsUtc = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes);
    return localAsUtc - Math.floor(instant / 60_000) * 60_000;
  };
  const guess = wall - offsetAt(wall);
  const corrected = wall - offsetAt(guess);
  return corrected === guess ? guess : Math.max(guess, corrected);
}
