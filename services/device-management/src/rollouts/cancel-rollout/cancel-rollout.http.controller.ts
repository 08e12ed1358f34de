import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../auth/auth.decorators';
import { RequestContext } from '../../http/command-context';
import { RolloutIdParam } from '../rollout-id.param';
import type { CommandContext } from '../../shared/domain/domain-event';
import { CancelJobRequestDto } from '../../jobs/cancel-job/cancel-job.request.dto';
import { CancelRollout, type CancelRolloutResult } from './cancel-rollout.command';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class CancelRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission('update')
  @ApiOkResponse({ description: '`{ rolloutId, status: "Cancelled" }`: no new waves.' })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  @ApiConflictResponse({
    description: '`rollout_final`: it already completed, halted or was cancelled.',
  })
  cancel(
    @Param() { id }: RolloutIdParam,
    @Body() body: CancelJobRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<CancelRolloutResult> {
    return this.commandBus.execute(
      new CancelRollout({ context, rolloutId: id, reason: body?.reason }),
    );
  }
}
