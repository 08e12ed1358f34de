import type { AuditSearch } from '../api/api-client';
import type { AuditEvent } from '../api/types';
import { hrefOf } from '../router';

export const AUDIT_ORDERS = ['newest', 'oldest'] as const;
export type AuditOrder = (typeof AUDIT_ORDERS)[number];

/** The audit search form as typed: every field a string, the times as `datetime-local` gives them. */
export interface AuditForm {
  actor: string;
  clientId: string;
  jobId: string;
  rolloutId: string;
  /** Event types, separated by commas or spaces: any of them. */
  types: string;
  /** `YYYY-MM-DDTHH:mm[:ss[.sss]]`, the browser's local time. */
  from: string;
  to: string;
  order: AuditOrder;
}

export const EMPTY_AUDIT_FORM: AuditForm = {
  actor: '',
  clientId: '',
  jobId: '',
  rolloutId: '',
  types: '',
  from: '',
  to: '',
  order: 'newest',
};

export type AuditFormErrors = Partial<Record<keyof AuditForm, string>>;

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A `datetime-local` value (the browser's local time, no zone) as an ISO-8601 instant in UTC;
 * undefined when it is no such value, or names a day the calendar does not have (Feb 30).
 */
export function localDateTimeToIso(value: string): string | undefined {
  const match = LOCAL_DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0'] = match;
  const parts = [year, month, day, hour, minute, second].map(Number);
  const millis = Number(fraction.padEnd(3, '0'));
  const date = new Date(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], millis);
  // Date rolls Feb 30 over to Mar 2 and 24:00 to the next day: refuse what it had to move.
  // (A local time skipped by a daylight-saving change moves by the change, and is kept.)
  if (
    Number.isNaN(date.getTime()) ||
    date.getFullYear() !== parts[0] ||
    date.getMonth() !== parts[1] - 1 ||
    date.getDate() !== parts[2] ||
    parts[3] > 23 ||
    parts[4] > 59 ||
    parts[5] > 59
  ) {
    return undefined;
  }
  return date.toISOString();
}

/** An instant as a `datetime-local` value in the browser's local time (seconds only if any). */
export function isoToLocalDateTime(iso: string): string | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  const base =
    `${String(date.getFullYear()).padStart(4, '0')}-${two(date.getMonth() + 1)}-${two(date.getDate())}` +
    `T${two(date.getHours())}:${two(date.getMinutes())}`;
  const seconds = date.getSeconds();
  const millis = date.getMilliseconds();
  if (!seconds && !millis) return base;
  return `${base}:${two(seconds)}${millis ? `.${String(millis).padStart(3, '0')}` : ''}`;
}

/**
 * The search the form asks for (GET /audit/events' query), or why it cannot be sent: a time
 * that is not one, a range that ends before it starts, a job or rollout id that is no UUID.
 * Empty fields are left out; the rest (the event types' names above all) the service checks.
 */
export function toAuditSearch(
  form: AuditForm,
): { ok: true; search: AuditSearch } | { ok: false; errors: AuditFormErrors } {
  const errors: AuditFormErrors = {};
  const text = (value: string) => value.trim() || undefined;
  const time = (field: 'from' | 'to') => {
    const value = form[field].trim();
    if (!value) return undefined;
    const iso = localDateTimeToIso(value);
    if (!iso) errors[field] = 'enter a date and time';
    return iso;
  };
  const uuid = (field: 'jobId' | 'rolloutId') => {
    const value = text(form[field]);
    if (value && !UUID.test(value)) errors[field] = 'must be a UUID';
    return value;
  };
  const actor = text(form.actor);
  const clientId = text(form.clientId);
  const jobId = uuid('jobId');
  const rolloutId = uuid('rolloutId');
  const from = time('from');
  const to = time('to');
  if (from && to && from >= to) errors.to = 'must be later than From';
  const types = form.types.split(/[\s,]+/).filter(Boolean);
  const search: AuditSearch = {
    ...(actor && { actor }),
    ...(clientId && { clientId }),
    ...(jobId && { jobId }),
    ...(rolloutId && { rolloutId }),
    ...(types.length > 0 && { type: [...new Set(types)] }),
    ...(from && { from }),
    ...(to && { to }),
    order: form.order,
  };
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, search };
}

/** A search as the page's address carries it (`#/audit?clientId=...`): types joined by commas. */
export function paramsOfSearch(search: AuditSearch): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(search)) {
    if (value === undefined) continue;
    if (key === 'order' && value === 'newest') continue;
    params[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return params;
}

/** The form showing the search the page's address carries (times back in local time). */
export function formOfParams(params: Record<string, string>): AuditForm {
  const time = (value?: string) => (value ? (isoToLocalDateTime(value) ?? value) : '');
  return {
    actor: params.actor ?? '',
    clientId: params.clientId ?? '',
    jobId: params.jobId ?? '',
    rolloutId: params.rolloutId ?? '',
    types: params.type ?? '',
    from: time(params.from),
    to: time(params.to),
    order: params.order === 'oldest' ? 'oldest' : 'newest',
  };
}

/** What an event is about, in words, with a link where the console has a page for it. */
export function subjectOf(event: Pick<AuditEvent, 'subjectKind' | 'subjectId'>): {
  text: string;
  href?: string;
} {
  const { subjectKind: kind, subjectId: id } = event;
  switch (kind) {
    case 'client':
      return { text: `client ${id}`, href: hrefOf.client(id) };
    case 'update-job':
      return { text: `update job ${id.slice(0, 8)}`, href: hrefOf.job(id) };
    case 'config-job':
      return { text: `configuration job ${id.slice(0, 8)}`, href: hrefOf.job(id) };
    case 'rollout':
      return { text: `rollout ${id.slice(0, 8)}`, href: hrefOf.rollout(id) };
    case 'release':
      return { text: `release ${id.slice(0, 8)}`, href: hrefOf.release(id) };
    default:
      return { text: `${kind} ${id}` };
  }
}
