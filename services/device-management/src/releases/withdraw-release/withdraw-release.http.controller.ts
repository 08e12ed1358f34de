import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../http/api-docs';
import { RequestContext } from '../../http/command-context';
import { RELEASE_EXAMPLE, ReleaseDto } from '../../read-models/release.dto';
import type { CommandContext } from '../../shared/domain/domain-event';
import { ReleaseIdParam } from '../release-id.param';
import { WithdrawRelease } from './withdraw-release.command';
import { WithdrawReleaseRequestDto } from './withdraw-release.request.dto';

@ApiTags('releases')
@Controller('api/v1/releases')
export class WithdrawReleaseHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/withdraw')
  @ApiEndpoint({
    summary: 'Withdraw a release',
    description:
      'No new update job or rollout may install the release any more (clients running it keep it; running rollouts skip their remaining clients). The reason is recorded. Withdrawing again changes nothing.',
    access: 'update',
    body: true,
    errors: {
      400: 'A failing field (`id`, `reason`).',
      404: 'No such release in your tenant.',
    },
  })
  @HttpCode(200)
  @ApiOkResponse({
    type: ReleaseDto,
    description: 'The release, withdrawn',
    example: {
      ...RELEASE_EXAMPLE,
      withdrawn: { reason: 'memory leak under load', at: '2026-12-02T09:00:00.000Z' },
    },
  })
  withdraw(
    @Param() { id }: ReleaseIdParam,
    @Body() body: WithdrawReleaseRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<ReleaseDto> {
    return this.commandBus.execute(
      new WithdrawRelease({ context, releaseId: id, reason: body.reason }),
    );
  }
}
