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
import { ReasonRequestDto } from '../../http/reason.request.dto';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RolloutIdParam } from '../rollout-id.param';
import { SteerRollout, type RolloutSteer, type SteerRolloutResult } from './steer-rollout.command';

/** One route per way an admin steers a rollout; the body's `reason` is recorded. */
@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class SteerRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission('update')
  @ApiOkResponse({ description: '`{ rolloutId, status: "Cancelled" }`: no new jobs, for good.' })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  @ApiConflictResponse({ description: '`rollout_final`: it already completed or was cancelled.' })
  cancel(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('cancel', id, body, context);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequirePermission('update')
  @ApiOkResponse({ description: '`{ rolloutId, status: "Paused" }`: no new jobs until resumed.' })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  @ApiConflictResponse({
    description: '`rollout_not_running` (already paused or halted) or `rollout_final`.',
  })
  pause(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('pause', id, body, context);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission('update')
  @ApiOkResponse({
    description:
      '`{ rolloutId, status }`: a paused rollout goes on where it was; a halted one runs again, its failures so far forgiven.',
  })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  @ApiConflictResponse({
    description: '`rollout_not_paused` (neither paused nor halted) or `rollout_final`.',
  })
  resume(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('resume', id, body, context);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequirePermission('update')
  @ApiOkResponse({
    description:
      '`{ rolloutId, status: "Running" }`: the phase awaiting approval starts; the approver is recorded.',
  })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  @ApiConflictResponse({ description: '`rollout_not_awaiting_approval`: no phase waits for one.' })
  approve(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('approve', id, body, context);
  }

  private steer(
    steer: RolloutSteer,
    rolloutId: string,
    body: ReasonRequestDto | undefined,
    context: CommandContext,
  ): Promise<SteerRolloutResult> {
    return this.commandBus.execute(
      new SteerRollout({
        context,
        rolloutId,
        steer,
        ...(body?.reason ? { reason: body.reason } : {}),
      }),
    );
  }
}
