/**
 * A domain event as the deciders produce and the evolvers consume it: a type tag and a
 * plain-JSON data object, so it can be stored as-is by the event store.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** Who acts and why; copied into the metadata of every event a command appends. */
export interface CommandContext {
  /** JWT subject, `device:{clientId}` or `system:{component}`. */
  actor: string;
  tenantId: string;
  correlationId: string;
  /** The id of the event, message or request that caused this command. */
  causationId?: string;
  /**
   * W3C trace context of the work that caused this command (the HTTP request's span, a
   * device's report), stored in the events' metadata so that what follows joins the trace.
   */
  traceparent?: string;
}

/** Timestamps travel as ISO-8601 strings in events: what is stored is what is replayed. */
export type IsoTimestamp = string;

/** The two kinds of job a client can be given. */
export type JobKind = 'update' | 'config';
export const JOB_KINDS: readonly JobKind[] = ['update', 'config'];
