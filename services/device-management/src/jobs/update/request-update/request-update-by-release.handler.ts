import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ReleaseStreams } from '../../../releases/release-streams';
import { RequestUpdate, type RequestUpdateResult } from './request-update.command';
import { RequestUpdateByRelease } from './request-update-by-release.command';

/**
 * Resolves the release (not_found, release_withdrawn) into the update it stands for, and
 * requests it as RequestUpdate does: the client's constraints and version are judged when the
 * job opens, on the client's fresh state (release_constraints_not_met, downgrade_refused).
 */
@CommandHandler(RequestUpdateByRelease)
export class RequestUpdateByReleaseHandler implements ICommandHandler<
  RequestUpdateByRelease,
  RequestUpdateResult
> {
  constructor(
    private readonly releases: ReleaseStreams,
    private readonly commands: CommandBus,
  ) {}

  async execute(command: RequestUpdateByRelease): Promise<RequestUpdateResult> {
    const { context, clientId, releaseId, allowDowngrade } = command;
    const release = await this.releases.installable(context.tenantId, releaseId);
    return this.commands.execute<RequestUpdate, RequestUpdateResult>(
      new RequestUpdate({
        context,
        clientId,
        targetVersion: release.version,
        image: release.image,
        imageDigest: release.imageDigest,
        release: {
          releaseId,
          version: release.version,
          constraints: release.constraints,
          ...(allowDowngrade ? { allowDowngrade } : {}),
        },
      }),
    );
  }
}
