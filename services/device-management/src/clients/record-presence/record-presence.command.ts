/**
 * Sent by the status ingestor for each valid presence message (retained, last will `offline`).
 * Appends ClientPresenceChanged when the status changed or the device came online on a new
 * broker session; unknown clients are ignored.
 */
export class RecordClientPresence {
  readonly tenantId: string;
  readonly clientId: string;
  readonly status: 'online' | 'offline';
  /** The device's time of the message (its clock). */
  readonly at: Date;
  /** When this service received the message (its own clock). */
  readonly receivedAt?: Date;
  readonly agentVersion?: string;
  /** From a live (not retained) online presence: whether the broker kept the session. */
  readonly sessionResumed?: boolean;

  constructor(props: RecordClientPresence) {
    Object.assign(this, props);
  }
}

export type RecordClientPresenceResult = { outcome: 'recorded' | 'unchanged' | 'unknown_client' };
