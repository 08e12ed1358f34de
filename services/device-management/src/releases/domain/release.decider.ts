import { DomainError, notFound } from '../../shared/domain/domain-error';
import type { IsoTimestamp } from '../../shared/domain/domain-event';
import type { ReleaseContent, ReleaseEvent, ReleaseRegistered } from './release.events';
import { compareSemver } from './semver';

export interface Release extends ReleaseContent {
  releaseId: string;
  tenantId: string;
  registeredAt: IsoTimestamp;
  withdrawn?: { reason: string; at: IsoTimestamp };
}

/** No stream yet. */
export type ReleaseState = Release | null;
export const initialReleaseState: ReleaseState = null;

export type ReleaseCommand =
  | { type: 'RegisterRelease'; data: ReleaseRegistered['data'] }
  | { type: 'WithdrawRelease'; data: { releaseId: string; reason: string; at: IsoTimestamp } };

/**
 * A version is registered once and never edited: registering it again with the same content
 * changes nothing (a retry), with other content is refused. Withdrawing twice changes nothing.
 */
export function decideRelease(command: ReleaseCommand, state: ReleaseState): ReleaseEvent[] {
  switch (command.type) {
    case 'RegisterRelease': {
      if (!state) return [{ type: 'ReleaseRegistered', data: command.data }];
      const differs = contentDifferences(state, command.data);
      if (differs.length === 0) return [];
      throw new DomainError(
        'release_exists',
        `${state.product} ${state.version} is registered already, with other ${differs.join(', ')}; versions are immutable: register another version`,
        { releaseId: state.releaseId, differs },
      );
    }
    case 'WithdrawRelease':
      if (!state) throw notFound('release', command.data.releaseId);
      if (state.withdrawn) return [];
      return [{ type: 'ReleaseWithdrawn', data: command.data }];
  }
}

export function evolveRelease(state: ReleaseState, event: ReleaseEvent): ReleaseState {
  switch (event.type) {
    case 'ReleaseRegistered': {
      const { releaseId, tenantId, registeredAt, ...content } = event.data;
      return { releaseId, tenantId, registeredAt, ...content };
    }
    case 'ReleaseWithdrawn':
      if (!state) return state;
      return { ...state, withdrawn: { reason: event.data.reason, at: event.data.at } };
  }
}

export const foldRelease = (events: readonly ReleaseEvent[]): ReleaseState =>
  events.reduce(evolveRelease, initialReleaseState);

/** The fields of the content that differ (the order of the constraints does not matter). */
function contentDifferences(release: ReleaseContent, content: ReleaseContent): string[] {
  const fields = ['product', 'version', 'image', 'imageDigest', 'notes'] as const;
  const differs: string[] = fields.filter((field) => release[field] !== content[field]);
  if (!sameLabels(release.constraints, content.constraints)) differs.push('constraints');
  return differs;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([name, value]) => b[name] === value);

/** What a client must meet to be given a release: checked when the job opens. */
export interface ReleaseTarget {
  releaseId: string;
  version: string;
  constraints: Record<string, string>;
  /** Install it even over a higher version the client reports. */
  allowDowngrade?: boolean;
}

/**
 * Why a client may not be given a release, or undefined: a constraint label it lacks (or has
 * with another value), or a downgrade (the release's version below the one it reports) not
 * allowed. A reported version that is not semantic cannot be compared and is no refusal.
 */
export function refusalOfRelease(
  target: ReleaseTarget,
  client: { clientId: string; labels: Record<string, string>; reportedVersion?: string },
): DomainError | undefined {
  const missingLabels = Object.fromEntries(
    Object.entries(target.constraints).filter(([name, value]) => client.labels[name] !== value),
  );
  if (Object.keys(missingLabels).length > 0) {
    const list = Object.entries(missingLabels)
      .map(([name, value]) => `${name}=${value}`)
      .join(', ');
    return new DomainError(
      'release_constraints_not_met',
      `client ${client.clientId} lacks the labels release ${target.releaseId} requires: ${list}`,
      { releaseId: target.releaseId, clientId: client.clientId, missingLabels },
    );
  }
  const reported = client.reportedVersion;
  const order = reported === undefined ? undefined : compareSemver(target.version, reported);
  if (order !== undefined && order < 0 && !target.allowDowngrade) {
    return new DomainError(
      'downgrade_refused',
      `client ${client.clientId} reports ${reported}, above ${target.version}; pass allowDowngrade: true to go down`,
      { releaseId: target.releaseId, clientId: client.clientId, reportedVersion: reported },
    );
  }
  return undefined;
}
