import type { ClientEvent } from '../clients/domain/client.events';
import { CONFIG_JOB_EVENT_TYPES } from '../jobs/config/domain/config-job.events';
import { UPDATE_JOB_EVENT_TYPES } from '../jobs/update/domain/update-job.events';
import { ROLLOUT_EVENT_TYPES } from '../rollouts/domain/rollout.events';

// A record, not a list: the compiler fails here when a client event is added or removed.
const CLIENT_EVENT_TYPES: Record<ClientEvent['type'], true> = {
  ClientRegistered: true,
  ClientUpdateStarted: true,
  ClientUpdateEnded: true,
  ClientConfigRequested: true,
  ClientConfigEnded: true,
  ClientPresenceChanged: true,
  ClientCredentialIssued: true,
  ClientCredentialRevoked: true,
};

/** Every event type a tenant's streams hold: what the audit's `type` filter accepts. */
export const AUDIT_EVENT_TYPES: readonly string[] = [
  ...new Set([
    ...Object.keys(CLIENT_EVENT_TYPES),
    ...UPDATE_JOB_EVENT_TYPES,
    ...CONFIG_JOB_EVENT_TYPES,
    ...ROLLOUT_EVENT_TYPES,
  ]),
].sort();
