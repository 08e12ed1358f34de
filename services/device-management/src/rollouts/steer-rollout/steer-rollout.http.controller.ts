import { applyDecorators, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint, jsonResponse } from '../../http/api-docs';
import { RequestContext } from '../../http/command-context';
import { ReasonRequestDto } from '../../http/reason.request.dto';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RolloutIdParam } from '../rollout-id.param';
import {
  RollBackRollout,
  type RollBackRolloutResult,
} from '../roll-back-rollout/roll-back-rollout.command';
import { SteerRollout, type RolloutSteer, type SteerRolloutResult } from './steer-rollout.command';

/** The document of a steering route: what it does, the status it answers, when it conflicts. */
const SteerDoc = (summary: string, description: string, status: string, conflict: string) =>
  applyDecorators(
    ApiEndpoint({
      summary,
      description: `${description} The body's optional \`reason\` is recorded.`,
      access: 'update',
      body: true,
      errors: {
        400: 'A failing field (`id`, `reason`).',
        404: 'No such rollout in your tenant.',
        409: conflict,
      },
    }),
    ApiOkResponse(
      jsonResponse(description, { rolloutId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', status }),
    ),
  );

/** One route per way an admin steers a rollout; the body's `reason` is recorded. */
@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class SteerRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @SteerDoc(
    'Cancel a rollout',
    'No new jobs, for good; the jobs in flight run to their end.',
    'Cancelled',
    '`rollout_final`: it already completed or was cancelled.',
  )
  cancel(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('cancel', id, body, context);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @SteerDoc(
    'Pause a rollout',
    'No new jobs until it is resumed.',
    'Paused',
    '`rollout_not_running` (already paused or halted) or `rollout_final`.',
  )
  pause(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('pause', id, body, context);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @SteerDoc(
    'Resume a rollout',
    'A paused rollout goes on where it was; a halted one runs again, its failures so far forgiven.',
    'Running',
    '`rollout_not_paused` (neither paused nor halted) or `rollout_final`.',
  )
  resume(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('resume', id, body, context);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @SteerDoc(
    'Approve the next phase of a rollout',
    'The phase awaiting approval starts; the approver is recorded as the actor.',
    'Running',
    '`rollout_not_awaiting_approval`: no phase waits for one.',
  )
  approve(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ) {
    return this.steer('approve', id, body, context);
  }

  @Post(':id/roll-back')
  @HttpCode(200)
  @SteerDoc(
    'Roll back the failed clients of a rollout',
    'Finishes a halted or paused update rollout: each failed client (failed, rolled back or timed out) gets an update job back to the release it ran before its job, unless its device already reported being back on it or that release is not known (the event lists those, with why). No other target gets a job; once every roll-back job ended the rollout is RolledBack.',
    'RollingBack',
    '`rollout_not_paused` (neither halted nor paused), `rollout_cannot_roll_back` (a config rollout, jobs still in flight, or no failed client) or `rollout_final`.',
  )
  rollBack(
    @Param() { id }: RolloutIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<RollBackRolloutResult> {
    return this.commandBus.execute(
      new RollBackRollout({
        context,
        rolloutId: id,
        ...(body?.reason ? { reason: body.reason } : {}),
      }),
    );
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
