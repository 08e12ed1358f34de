import type { StateSummary } from '@opcfleet/contracts';

/**
 * Sent by the status ingestor for each valid state summary an agent retained: kept as the
 * client's latest (an older one never replaces a newer); unknown clients are ignored.
 */
export class RecordDeviceState {
  constructor(
    readonly summary: StateSummary,
    readonly receivedAt: Date,
  ) {}
}

export type RecordDeviceStateResult = { outcome: 'recorded' | 'older' | 'unknown_client' };
