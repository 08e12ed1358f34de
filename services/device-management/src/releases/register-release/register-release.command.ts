import type { ReleaseContent } from '../domain/release.events';
import type { CommandContext } from '../../shared/domain/domain-event';
import type { ReleaseDto } from '../../read-models/release.dto';

export class RegisterRelease {
  readonly context: CommandContext;
  readonly content: ReleaseContent;

  constructor(props: RegisterRelease) {
    Object.assign(this, props);
  }
}

/** The release, and whether this call registered it (false: it was, with this content). */
export interface RegisterReleaseResult {
  release: ReleaseDto;
  created: boolean;
}
