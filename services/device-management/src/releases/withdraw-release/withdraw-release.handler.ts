import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { toReleaseDto, type ReleaseDto } from '../../read-models/release.dto';
import { decideRelease } from '../domain/release.decider';
import { ReleaseStreams } from '../release-streams';
import { WithdrawRelease } from './withdraw-release.command';

/** No new job installs the release from now on; a second withdrawal changes nothing. */
@CommandHandler(WithdrawRelease)
export class WithdrawReleaseHandler implements ICommandHandler<WithdrawRelease, ReleaseDto> {
  constructor(private readonly releases: ReleaseStreams) {}

  execute({ context, releaseId, reason }: WithdrawRelease): Promise<ReleaseDto> {
    return retryOnConflict(async () => {
      const loaded = await this.releases.load(context.tenantId, releaseId);
      const events = decideRelease(
        { type: 'WithdrawRelease', data: { releaseId, reason, at: new Date().toISOString() } },
        loaded.state,
      );
      return toReleaseDto((await this.releases.append(loaded, events, context))!);
    });
  }
}
