import type { ReleaseClientState } from '../../read-models/release.dto';

export class ListReleaseClients {
  readonly tenantId: string;
  readonly releaseId: string;
  readonly state?: ReleaseClientState;
  readonly limit: number;
  readonly cursor?: string;

  constructor(props: ListReleaseClients) {
    Object.assign(this, props);
  }
}
