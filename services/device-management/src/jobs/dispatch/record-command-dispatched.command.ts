import type { JobKind } from '../../shared/domain/domain-event';

/**
 * Sent by the dispatcher after the broker acknowledged the publish (PUBACK) of a job's
 * command. Appends UpdateCommandDispatched / ConfigCommandDispatched; dispatching the same
 * messageId twice records it once.
 */
export class RecordCommandDispatched {
  readonly jobKind: JobKind;
  readonly tenantId: string;
  readonly jobId: string;
  readonly messageId: string;
  readonly topic: string;
  /** Defaults to now. */
  readonly dispatchedAt?: Date;
  /** The correlation id of the job (from UpdateRequested's metadata), for the logs and the event. */
  readonly correlationId?: string;
  /** The publish span's trace context, for the event's metadata. */
  readonly traceparent?: string;

  constructor(props: RecordCommandDispatched) {
    Object.assign(this, props);
  }
}

/** `recorded`; `duplicate` for a message recorded before; `ignored` for an unknown job. */
export type RecordCommandDispatchedResult = { outcome: 'recorded' | 'duplicate' | 'ignored' };
