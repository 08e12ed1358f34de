import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { toReleaseDto } from '../../read-models/release.dto';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { DomainError } from '../../shared/domain/domain-error';
import { idName } from '../../shared/domain/stream-names';
import { decideRelease } from '../domain/release.decider';
import { ReleaseStreams } from '../release-streams';
import { RegisterRelease, type RegisterReleaseResult } from './register-release.command';

/** The id of a product's version in a tenant: one stream per version, whoever registers it. */
export const releaseIdOf = (tenantId: string, product: string, version: string) =>
  deterministicId(idName('release', tenantId, product, version));

/**
 * Registers a version in the catalogue. Its id derives from the product and version, so two
 * registrations of one version meet on one stream: the loser of a race reloads and is told
 * whether it registered the same content (nothing to do) or another (release_exists).
 */
@CommandHandler(RegisterRelease)
export class RegisterReleaseHandler implements ICommandHandler<
  RegisterRelease,
  RegisterReleaseResult
> {
  constructor(private readonly releases: ReleaseStreams) {}

  execute({ context, content }: RegisterRelease): Promise<RegisterReleaseResult> {
    const pinned = /@(sha256:[a-f0-9]{64})$/.exec(content.image)?.[1];
    if (pinned && pinned !== content.imageDigest) {
      const message = 'image ends in another digest than imageDigest';
      throw new DomainError('invalid_input', message, {
        fieldErrors: [{ path: 'image', message }],
      });
    }
    const releaseId = releaseIdOf(context.tenantId, content.product, content.version);
    return retryOnConflict(async () => {
      const loaded = await this.releases.load(context.tenantId, releaseId);
      const events = decideRelease(
        {
          type: 'RegisterRelease',
          data: {
            releaseId,
            tenantId: context.tenantId,
            ...content,
            registeredAt: new Date().toISOString(),
          },
        },
        loaded.state,
      );
      const release = await this.releases.append(loaded, events, context);
      return { release: toReleaseDto(release!), created: events.length > 0 };
    });
  }
}
