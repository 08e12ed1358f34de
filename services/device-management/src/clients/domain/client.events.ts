import type { DomainEvent, IsoTimestamp } from '../../shared/domain/domain-event';

/**
 * The events of stream `client/{tenantId}/{clientId}`: what spans jobs. Every job start and
 * end is mirrored here so that appending with expectedRevision enforces one update in flight
 * and increasing config versions.
 */
export type ClientRegistered = DomainEvent<
  'ClientRegistered',
  {
    tenantId: string;
    clientId: string;
    labels: Record<string, string>;
    /** Workload version the client runs when registered. */
    version?: string;
    registeredAt: IsoTimestamp;
  }
>;

export type UpdateOutcome = 'succeeded' | 'failed' | 'rolled_back' | 'timed_out' | 'cancelled';
export type ConfigOutcome = 'applied' | 'rejected' | 'timed_out' | 'cancelled';

export type ClientUpdateStarted = DomainEvent<
  'ClientUpdateStarted',
  {
    jobId: string;
    targetVersion: string;
    /** The image the job installs (absent in events recorded before it was kept). */
    image?: string;
    at: IsoTimestamp;
  }
>;

export type ClientUpdateEnded = DomainEvent<
  'ClientUpdateEnded',
  { jobId: string; outcome: UpdateOutcome; version?: string; at: IsoTimestamp }
>;

export type ClientConfigRequested = DomainEvent<
  'ClientConfigRequested',
  { jobId: string; version: number; at: IsoTimestamp }
>;

export type ClientConfigEnded = DomainEvent<
  'ClientConfigEnded',
  { jobId: string; version: number; outcome: ConfigOutcome; at: IsoTimestamp }
>;

export type ClientPresenceChanged = DomainEvent<
  'ClientPresenceChanged',
  {
    status: 'online' | 'offline';
    /** The device's time of the message: its clock, which may be off. */
    at: IsoTimestamp;
    /**
     * When the service received the message, by its own clock (absent in events recorded
     * before 2026-12-01). A new session began before it: commands published after it reached
     * that session.
     */
    receivedAt?: IsoTimestamp;
    agentVersion?: string;
    /** false: online on a new broker session, which lost what the old one held for it. */
    sessionResumed?: boolean;
  }
>;

/**
 * The client's device credential (its MQTT username and password on the embedded broker) was
 * issued: shown once to the caller, stored only as a hash, never in an event. `replaces` names
 * the credential it rotated out, which stops working at once.
 */
export type ClientCredentialIssued = DomainEvent<
  'ClientCredentialIssued',
  {
    tenantId: string;
    clientId: string;
    credentialId: string;
    issuedAt: IsoTimestamp;
    replaces?: string;
  }
>;

/** The client's device credential was revoked: it no longer connects, its connections close. */
export type ClientCredentialRevoked = DomainEvent<
  'ClientCredentialRevoked',
  { tenantId: string; clientId: string; credentialId: string; revokedAt: IsoTimestamp }
>;

export type ClientEvent =
  | ClientRegistered
  | ClientUpdateStarted
  | ClientUpdateEnded
  | ClientConfigRequested
  | ClientConfigEnded
  | ClientPresenceChanged
  | ClientCredentialIssued
  | ClientCredentialRevoked;
