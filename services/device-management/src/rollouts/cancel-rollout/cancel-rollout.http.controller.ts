import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../http/command-context';
import { RolloutIdParam } from '../rollout-id.param';
import type { CommandContext } from '../../shared/domain/domain-event';
import { CancelJobRequestDto } from '../../jobs/cancel-job/cancel-job.request.dto';
import { CancelRollout, type CancelRolloutResult } from './cancel-rollout.command';
import { ApiEndpoint, jsonResponse } from '../../http/api-docs';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class CancelRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @ApiEndpoint({
    summary: 'Cancel a rollout',
    description: 'No new waves; the jobs in flight run to their end.',
    access: 'update',
    body: true,
    errors: {
      400: 'A failing field.',
      404: 'No such rollout in your tenant.',
      409: '`rollout_final`: it already completed, halted or was cancelled.',
    },
  })
  @HttpCode(200)
  @ApiOkResponse(
    jsonResponse('Cancelled: no new waves', {
      rolloutId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      status: 'Cancelled',
    }),
  )
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
