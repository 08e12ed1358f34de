import { deviceCommonName } from '../../../../broker/src';
import type { LocalCommits } from '../../event-sourcing/local-commits';
import type { ClientCredentialIssued, ClientCredentialRevoked } from '../domain/client.events';

/**
 * Calls `withdrawn(username, reason)` right after this process commits a revocation or a
 * rotation: the embedded broker (same process) then closes the connections made with the
 * credential that stopped working. New connections are refused by the credential check anyway.
 */
export function onCredentialWithdrawn(
  localCommits: LocalCommits,
  withdrawn: (username: string, reason: string) => void,
): () => void {
  return localCommits.onCommitted((events) => {
    for (const event of events) {
      if (event.type === 'ClientCredentialRevoked') {
        withdrawn(deviceCommonName((event as ClientCredentialRevoked).data), 'credential revoked');
      } else if (event.type === 'ClientCredentialIssued') {
        const issued = (event as ClientCredentialIssued).data;
        if (issued.replaces) withdrawn(deviceCommonName(issued), 'credential rotated');
      }
    }
  });
}
