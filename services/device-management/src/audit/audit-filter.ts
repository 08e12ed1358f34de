import type { EventQuery, EventScope } from '@opcfleet/event-store';
import { JOB_KINDS } from '../shared/domain/domain-event';
import { DomainError } from '../shared/domain/domain-error';
import {
  clientStream,
  jobStream,
  rolloutStream,
  releaseStream,
} from '../shared/domain/stream-names';

/** What an audit search or export asks for, checked (the request DTO) and scoped to a tenant. */
export interface AuditFilter {
  tenantId: string;
  actor?: string;
  clientId?: string;
  jobId?: string;
  rolloutId?: string;
  types?: readonly string[];
  /** Recorded at or after. */
  from?: Date;
  /** Recorded before. */
  to?: Date;
  order: AuditOrder;
}

export const AUDIT_ORDERS = ['newest', 'oldest'] as const;
export type AuditOrder = (typeof AUDIT_ORDERS)[number];

/** The tenant's streams: those it names itself, whatever the other filters say. */
export const tenantStreamPrefixes = (tenantId: string): string[] => [
  clientStream(tenantId, ''),
  ...JOB_KINDS.map((kind) => jobStream(kind, tenantId, '')),
  rolloutStream(tenantId, ''),
  releaseStream(tenantId, ''),
];

/**
 * The event-store query of a filter. Tenant isolation holds twice: the events' tenant and their
 * streams' names (every stream of a tenant starts with its prefixes; ids of another tenant
 * make names of this tenant's, which do not exist). A client's events are its own stream's and
 * its jobs' (`clientJobStreams`, from the read model); a job's, its stream's; a rollout's, its
 * stream's and every event correlated with it (the driver opens its jobs with the rollout id as
 * correlation id, and their events keep it).
 */
export function auditQuery(
  filter: AuditFilter,
  clientJobStreams: readonly string[] = [],
): Omit<EventQuery, 'after' | 'maxCount'> {
  const { tenantId } = filter;
  const within: EventScope[] = [{ streamPrefixes: tenantStreamPrefixes(tenantId) }];
  if (filter.clientId !== undefined) {
    within.push({ streamNames: [clientStream(tenantId, filter.clientId), ...clientJobStreams] });
  }
  if (filter.jobId !== undefined) {
    const jobId = filter.jobId;
    within.push({ streamNames: JOB_KINDS.map((kind) => jobStream(kind, tenantId, jobId)) });
  }
  if (filter.rolloutId !== undefined) {
    within.push({
      streamNames: [rolloutStream(tenantId, filter.rolloutId)],
      correlationIds: [filter.rolloutId],
    });
  }
  return {
    tenantId,
    ...(filter.actor !== undefined ? { actor: filter.actor } : {}),
    ...(filter.types !== undefined ? { types: filter.types } : {}),
    ...(filter.from !== undefined ? { recordedFrom: filter.from } : {}),
    ...(filter.to !== undefined ? { recordedBefore: filter.to } : {}),
    direction: filter.order === 'newest' ? 'backwards' : 'forwards',
    within,
  };
}

/** The checks a DTO cannot make alone: a time range that ends before it starts. */
export function checkTimeRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw new DomainError('invalid_input', 'the time range is empty', {
      fieldErrors: [{ path: 'to', message: 'must be later than from' }],
    });
  }
}
