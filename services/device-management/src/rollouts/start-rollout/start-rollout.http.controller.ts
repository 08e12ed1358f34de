import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../auth/auth.decorators';
import { RequestContext } from '../../http/command-context';
import { BodyLimit } from '../../http/json-body.interceptor';
import type { CommandContext } from '../../shared/domain/domain-event';
import type { RolloutPhaseRequest } from '../domain/rollout-phases';
import type { RolloutPhaseRequestDto } from './rollout-phase.request.dto';
import { StartRollout, type StartRolloutResult } from './start-rollout.command';
import {
  ROLLOUT_BODY_LIMIT_BYTES,
  ROLLOUT_DEFAULTS,
  RolloutAcceptedResponseDto,
  RolloutPlanDto,
  StartConfigRolloutRequestDto,
  StartRolloutRequestDto,
} from './start-rollout.request.dto';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class StartRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(202)
  @RequirePermission('update')
  @BodyLimit(ROLLOUT_BODY_LIMIT_BYTES)
  @ApiAcceptedResponse({
    type: RolloutAcceptedResponseDto,
    description: 'The rollout is stored; its driver requests the first wave next.',
  })
  @ApiBadRequestResponse({ description: '`fieldErrors` lists every failing field.' })
  start(
    @Body() body: StartRolloutRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<StartRolloutResult> {
    const { targetVersion, image, imageDigest } = body;
    const update = { targetVersion, image, ...(imageDigest ? { imageDigest } : {}) };
    return this.commandBus.execute(startRolloutOf(body, { update }, context));
  }

  @Post('config')
  @HttpCode(202)
  @RequirePermission('update')
  @BodyLimit(ROLLOUT_BODY_LIMIT_BYTES)
  @ApiAcceptedResponse({
    type: RolloutAcceptedResponseDto,
    description:
      'A config rollout: every target gets this configuration (version and settings) through a config job, in the same phases and waves.',
  })
  @ApiBadRequestResponse({ description: '`fieldErrors` lists every failing field.' })
  startConfig(
    @Body() body: StartConfigRolloutRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<StartRolloutResult> {
    const config = { version: body.version, settings: body.settings };
    return this.commandBus.execute(startRolloutOf(body, { config }, context));
  }
}

/** The command of either kind of rollout: what each target gets, and the plan. */
function startRolloutOf(
  body: RolloutPlanDto,
  what: StartRollout['what'],
  context: CommandContext,
): StartRollout {
  return new StartRollout({
    context,
    targets: body.labels ? { labels: body.labels } : { clientIds: body.clientIds ?? [] },
    what,
    batchSize: body.batchSize ?? ROLLOUT_DEFAULTS.batchSize,
    maxFailures: body.maxFailures ?? ROLLOUT_DEFAULTS.maxFailures,
    ...(body.maxFailureRate ? { maxFailureRate: { ...body.maxFailureRate } } : {}),
    ...(body.phases ? { phases: body.phases.map(toPhaseRequest) } : {}),
    ...(body.retries ? { retries: { ...body.retries } } : {}),
    ...(body.window ? { window: { ...body.window, days: [...body.window.days] } } : {}),
    ...(body.followUntil ? { followUntil: body.followUntil } : {}),
  });
}

function toPhaseRequest(phase: RolloutPhaseRequestDto): RolloutPhaseRequest {
  const { count, percent, batchSize, soakSeconds, requiresApproval, maxFailures } = phase;
  return {
    ...(count !== undefined ? { size: { count } } : {}),
    ...(percent !== undefined ? { size: { percent } } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    soakSeconds: soakSeconds ?? 0,
    requiresApproval: requiresApproval ?? false,
    ...(maxFailures !== undefined ? { maxFailures } : {}),
    ...(phase.maxFailureRate ? { maxFailureRate: { ...phase.maxFailureRate } } : {}),
  };
}
