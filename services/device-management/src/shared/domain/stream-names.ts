import type { JobKind } from './domain-event';

/**
 * Every name the service builds from ids: stream names, and the names behind name-based event
 * and message ids. Each is a list of parts joined by a separator, with the separator and `%`
 * percent-escaped inside a part, so two different lists of ids never give the same name,
 * whatever characters the ids hold (stream-names.spec.ts proves it for random ids). The MQTT
 * topics are built and parsed in libs/contracts (topics.ts), from ids that cannot hold `/`.
 */

/**
 * The streams. A job and a rollout stream carry their tenant: a job of one tenant cannot be
 * loaded, blocked or appended to under another tenant's name, whatever the ids.
 */
/** The category of each kind's job streams (jobs/job-kinds.ts names its own). */
export const JOB_STREAM_CATEGORY = {
  update: 'update-job',
  config: 'config-job',
} as const satisfies Record<JobKind, string>;
export type JobStreamCategory = (typeof JOB_STREAM_CATEGORY)[JobKind];

export type StreamName =
  | { category: 'client'; tenantId: string; clientId: string }
  | { category: JobStreamCategory; tenantId: string; jobId: string }
  | { category: 'rollout'; tenantId: string; rolloutId: string }
  | { category: 'release'; tenantId: string; releaseId: string };

type Category = StreamName['category'];

const STREAM_SEPARATOR = '/';

/** What a subscription filters on: every stream of one category starts with its prefix. */
export const STREAM_PREFIX = {
  client: 'client/',
  updateJob: 'update-job/',
  configJob: 'config-job/',
  rollout: 'rollout/',
  release: 'release/',
} as const;

/** What the streams of every kind of job start with. */
export const JOB_STREAM_PREFIXES: readonly string[] = Object.values(JOB_STREAM_CATEGORY).map(
  (category) => `${category}${STREAM_SEPARATOR}`,
);

export const clientStream = (tenantId: string, clientId: string) =>
  joinName(['client', tenantId, clientId], STREAM_SEPARATOR);

export const jobStream = (kind: JobKind, tenantId: string, jobId: string) =>
  joinName([JOB_STREAM_CATEGORY[kind], tenantId, jobId], STREAM_SEPARATOR);

export const updateJobStream = (tenantId: string, jobId: string) =>
  jobStream('update', tenantId, jobId);

export const configJobStream = (tenantId: string, jobId: string) =>
  jobStream('config', tenantId, jobId);

/** One stream per rollout: its targets, the jobs it opened and how each ended. */
export const rolloutStream = (tenantId: string, rolloutId: string) =>
  joinName(['rollout', tenantId, rolloutId], STREAM_SEPARATOR);

/** One stream per release of the tenant's catalogue: registered once, perhaps withdrawn. */
export const releaseStream = (tenantId: string, releaseId: string) =>
  joinName(['release', tenantId, releaseId], STREAM_SEPARATOR);

/** What the names of one tenant's rollout streams start with. */
export const tenantRolloutsPrefix = (tenantId: string) => rolloutStream(tenantId, '');

const JOB_KIND_OF_CATEGORY = new Map<string, JobKind>(
  Object.entries(JOB_STREAM_CATEGORY).map(([kind, category]) => [category, kind as JobKind]),
);
const CATEGORIES: readonly string[] = [
  'client',
  ...JOB_KIND_OF_CATEGORY.keys(),
  'rollout',
  'release',
];

/** The ids a stream name was built from; undefined for a name the service did not build. */
export function parseStreamName(name: string): StreamName | undefined {
  const parts = splitName(name, STREAM_SEPARATOR);
  if (parts?.length !== 3 || !CATEGORIES.includes(parts[0])) return undefined;
  const [category, tenantId, id] = parts as [Category, string, string];
  switch (category) {
    case 'client':
      return { category, tenantId, clientId: id };
    case 'rollout':
      return { category, tenantId, rolloutId: id };
    case 'release':
      return { category, tenantId, releaseId: id };
    default:
      return { category, tenantId, jobId: id };
  }
}

/** The job a stream holds, or undefined for any other stream. */
export function jobOfStream(
  name: string,
): { kind: JobKind; tenantId: string; jobId: string } | undefined {
  const parsed = parseStreamName(name);
  const kind = parsed && JOB_KIND_OF_CATEGORY.get(parsed.category);
  if (!kind || !parsed || !('jobId' in parsed)) return undefined;
  return { kind, tenantId: parsed.tenantId, jobId: parsed.jobId };
}

/** Kind of job a stream holds, or undefined for a client, rollout or release stream. */
export const jobKindOfStream = (name: string): JobKind | undefined => jobOfStream(name)?.kind;

/**
 * The name behind a name-based event or message id (deterministicId). Parts are joined by `:`:
 * for the UUIDs and numbers the service passes, the names are the ones it has always used, so
 * the ids of events stored before stay the ids a retry computes now.
 */
export const idName = (...parts: Array<string | number>) => joinName(parts.map(String), ':');

/** In-memory keys (caches, work queues) of a tenant's job and client. */
export const jobKey = (tenantId: string, jobId: string) => idName('job', tenantId, jobId);
export const clientKey = (tenantId: string, clientId: string) =>
  idName('client', tenantId, clientId);

/** `%` and the separator are escaped inside a part; nothing else. */
const escapesOf = (separator: '/' | ':') => ({
  special: new RegExp(`[%${separator}]`, 'g'),
  escaped: new RegExp(`%(25|${separator === '/' ? '2F' : '3A'})`, 'g'),
  stray: new RegExp(`%(?!25|${separator === '/' ? '2F' : '3A'})`),
});

/** Joins parts with `separator`, escaping `%` and the separator inside each part. */
export function joinName(parts: readonly string[], separator: '/' | ':'): string {
  const { special } = escapesOf(separator);
  return parts
    .map((part) => part.replace(special, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join(separator);
}

/** The parts of a name joinName built; undefined when `name` holds an escape it never writes. */
export function splitName(name: string, separator: '/' | ':'): string[] | undefined {
  const { escaped, stray } = escapesOf(separator);
  const parts = name.split(separator);
  if (parts.some((part) => stray.test(part))) return undefined;
  return parts.map((part) =>
    part.replace(escaped, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  );
}
