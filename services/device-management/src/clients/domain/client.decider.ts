import type { IsoTimestamp } from '../../shared/domain/domain-event';
import { DomainError } from '../../shared/domain/domain-error';
import type { ClientEvent, ClientRegistered, ConfigOutcome, UpdateOutcome } from './client.events';

export interface Client {
  tenantId: string;
  clientId: string;
  labels: Record<string, string>;
  registeredAt: IsoTimestamp;
  reportedVersion?: string;
  /** Target of the latest update requested (the initial version until then). */
  desiredVersion?: string;
  /** The one update job allowed in flight. */
  updateInFlight?: { jobId: string; targetVersion: string; image?: string; since: IsoTimestamp };
  /**
   * What the client runs as far as updates tell: the registered version, then each succeeded
   * update's. The image is known once an update recorded it; a roll-back needs it.
   */
  running?: RunningRelease;
  /** What it ran before the last succeeded update: where "roll back" takes it. */
  previous?: RunningRelease;
  /** Highest config version ever requested: the next must be greater. */
  desiredConfigVersion: number;
  appliedConfigVersion?: number;
  pendingConfigJobs: { jobId: string; version: number }[];
  presence?: 'online' | 'offline';
  lastUpdate?: { jobId: string; outcome: UpdateOutcome };
  /** The device credential that connects today (the embedded broker reads it), if any. */
  credential?: { credentialId: string; issuedAt: IsoTimestamp };
}

export interface RunningRelease {
  version: string;
  image?: string;
}

export type ClientState = Client | null;
export const initialClientState: ClientState = null;

export type ClientCommand =
  | { type: 'RegisterClient'; data: ClientRegistered['data'] }
  | {
      type: 'StartUpdate';
      data: { jobId: string; targetVersion: string; image?: string; at: IsoTimestamp };
    }
  | {
      type: 'EndUpdate';
      data: { jobId: string; outcome: UpdateOutcome; version?: string; at: IsoTimestamp };
    }
  | { type: 'RequestConfig'; data: { jobId: string; version: number; at: IsoTimestamp } }
  | {
      type: 'EndConfig';
      data: { jobId: string; version: number; outcome: ConfigOutcome; at: IsoTimestamp };
    }
  | {
      type: 'RecordPresence';
      data: {
        status: 'online' | 'offline';
        at: IsoTimestamp;
        receivedAt?: IsoTimestamp;
        agentVersion?: string;
        sessionResumed?: boolean;
      };
    }
  | { type: 'IssueCredential'; data: { credentialId: string; at: IsoTimestamp } }
  | { type: 'RevokeCredential'; data: { at: IsoTimestamp } };

export function decideClient(command: ClientCommand, state: ClientState): ClientEvent[] {
  if (command.type === 'RegisterClient') {
    if (state) {
      throw new DomainError('already_exists', `client ${state.clientId} is already registered`, {
        clientId: state.clientId,
      });
    }
    return [{ type: 'ClientRegistered', data: command.data }];
  }
  if (!state) throw new DomainError('not_found', 'client not found');
  switch (command.type) {
    case 'StartUpdate':
      if (state.updateInFlight) {
        throw new DomainError(
          'update_in_flight',
          `client ${state.clientId} already has update job ${state.updateInFlight.jobId} in flight`,
          { jobId: state.updateInFlight.jobId },
        );
      }
      return [{ type: 'ClientUpdateStarted', data: command.data }];
    case 'EndUpdate':
      // Ending a job that is not the one in flight is a repeat: nothing to record.
      return state.updateInFlight?.jobId === command.data.jobId
        ? [{ type: 'ClientUpdateEnded', data: command.data }]
        : [];
    case 'RequestConfig':
      if (command.data.version <= state.desiredConfigVersion) {
        throw new DomainError(
          'config_version_not_increasing',
          `config version ${command.data.version} is not greater than ${state.desiredConfigVersion}, the latest requested for client ${state.clientId}`,
          { currentVersion: state.desiredConfigVersion },
        );
      }
      return [{ type: 'ClientConfigRequested', data: command.data }];
    case 'EndConfig':
      return state.pendingConfigJobs.some((job) => job.jobId === command.data.jobId)
        ? [{ type: 'ClientConfigEnded', data: command.data }]
        : [];
    case 'RecordPresence':
      // Online again on a new broker session is news even when online already: the commands
      // the old session held are gone.
      return state.presence === command.data.status && command.data.sessionResumed !== false
        ? []
        : [{ type: 'ClientPresenceChanged', data: command.data }];
    case 'IssueCredential': {
      const { tenantId, clientId, credential } = state;
      return [
        {
          type: 'ClientCredentialIssued',
          data: {
            tenantId,
            clientId,
            credentialId: command.data.credentialId,
            issuedAt: command.data.at,
            ...(credential ? { replaces: credential.credentialId } : {}),
          },
        },
      ];
    }
    case 'RevokeCredential':
      if (!state.credential) {
        throw new DomainError(
          'not_found',
          `client ${state.clientId} has no device credential to revoke`,
        );
      }
      return [
        {
          type: 'ClientCredentialRevoked',
          data: {
            tenantId: state.tenantId,
            clientId: state.clientId,
            credentialId: state.credential.credentialId,
            revokedAt: command.data.at,
          },
        },
      ];
  }
}

export function evolveClient(state: ClientState, event: ClientEvent): ClientState {
  if (event.type === 'ClientRegistered') {
    const { tenantId, clientId, labels, registeredAt, version } = event.data;
    return {
      tenantId,
      clientId,
      labels,
      registeredAt,
      ...(version
        ? { reportedVersion: version, desiredVersion: version, running: { version } }
        : {}),
      desiredConfigVersion: 0,
      pendingConfigJobs: [],
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'ClientUpdateStarted': {
      const { jobId, targetVersion, image, at } = event.data;
      return {
        ...state,
        desiredVersion: targetVersion,
        updateInFlight: { jobId, targetVersion, ...(image ? { image } : {}), since: at },
      };
    }
    case 'ClientUpdateEnded': {
      const { updateInFlight: ended, ...rest } = state;
      const { jobId, outcome, version } = event.data;
      const installed =
        outcome === 'succeeded' && ended?.jobId === jobId
          ? {
              running: {
                version: version ?? ended.targetVersion,
                ...(ended.image ? { image: ended.image } : {}),
              },
              ...(state.running ? { previous: state.running } : {}),
            }
          : {};
      return {
        ...rest,
        lastUpdate: { jobId, outcome },
        ...(version ? { reportedVersion: version } : {}),
        ...installed,
      };
    }
    case 'ClientConfigRequested':
      return {
        ...state,
        desiredConfigVersion: event.data.version,
        pendingConfigJobs: [
          ...state.pendingConfigJobs,
          { jobId: event.data.jobId, version: event.data.version },
        ],
      };
    case 'ClientConfigEnded': {
      const applied =
        event.data.outcome === 'applied' && event.data.version > (state.appliedConfigVersion ?? 0);
      return {
        ...state,
        pendingConfigJobs: state.pendingConfigJobs.filter((j) => j.jobId !== event.data.jobId),
        ...(applied ? { appliedConfigVersion: event.data.version } : {}),
      };
    }
    case 'ClientPresenceChanged':
      return { ...state, presence: event.data.status };
    case 'ClientCredentialIssued':
      return {
        ...state,
        credential: { credentialId: event.data.credentialId, issuedAt: event.data.issuedAt },
      };
    case 'ClientCredentialRevoked': {
      const { credential: _revoked, ...rest } = state;
      return rest;
    }
  }
}

export const foldClient = (events: readonly ClientEvent[]): ClientState =>
  events.reduce(evolveClient, initialClientState);

/** The client's state after `events`, evolved from `state`. */
export const evolveClientBy = (state: ClientState, events: readonly ClientEvent[]): ClientState =>
  events.reduce<ClientState>(evolveClient, state);
