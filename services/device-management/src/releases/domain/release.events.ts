import type { DomainEvent, IsoTimestamp } from '../../shared/domain/domain-event';

/** What a release is: set once when it is registered, never edited. */
export interface ReleaseContent {
  product: string;
  /** Semantic version (semver.org 2.0.0). */
  version: string;
  /** The image reference, as given (a tag perhaps; the digest pins it). */
  image: string;
  /** `sha256:` and 64 hex digits: the agent refuses an image with another digest. */
  imageDigest: string;
  notes: string;
  /** Labels a client must carry, each with this value, to be given this release. */
  constraints: Record<string, string>;
}

/**
 * The events of stream `release/{tenantId}/{releaseId}`. Their names and fields are stored for
 * good: add optional fields, never rename or remove one. The actor is in each event's metadata.
 */
export type ReleaseRegistered = DomainEvent<
  'ReleaseRegistered',
  ReleaseContent & { releaseId: string; tenantId: string; registeredAt: IsoTimestamp }
>;

/** No new job may install the release any more; the clients running it keep it. */
export type ReleaseWithdrawn = DomainEvent<
  'ReleaseWithdrawn',
  { releaseId: string; reason: string; at: IsoTimestamp }
>;

export type ReleaseEvent = ReleaseRegistered | ReleaseWithdrawn;
