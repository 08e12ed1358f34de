import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../http/command-context';
import { BodyLimit } from '../../http/json-body.guard';
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
import { ApiEndpoint } from '../../http/api-docs';
import { requestedUpdateOf } from '../../jobs/update/request-update/request-update.request.dto';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class StartRolloutHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @ApiEndpoint({
    summary: 'Start a rollout',
    description:
      'One update for up to 10,000 clients (listed, or chosen by labels) in waves of `batchSize` jobs in flight, halted after `maxFailures`. The update is a release of the catalogue (`releaseId`; clients without its constraint labels, or that would go down a version without `allowDowngrade`, are skipped with that reason) or an image and `targetVersion` given explicitly.',
    access: 'update',
    body: true,
    errors: {
      400: '`fieldErrors` lists every failing field; neither or both of `releaseId` and `image`+`targetVersion`.',
      404: 'No such release in your tenant.',
      409: '`release_withdrawn`: the release was withdrawn.',
    },
  })
  @HttpCode(202)
  @BodyLimit(ROLLOUT_BODY_LIMIT_BYTES)
  @ApiAcceptedResponse({
    type: RolloutAcceptedResponseDto,
    description: 'The rollout is stored; its driver requests the first wave next.',
  })
  start(
    @Body() body: StartRolloutRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<StartRolloutResult> {
    const update = requestedUpdateOf(body);
    const what = 'releaseId' in update ? { release: update } : { update };
    return this.commandBus.execute(startRolloutOf(body, what, context));
  }

  @Post('config')
  @ApiEndpoint({
    summary: 'Start a config rollout',
    description:
      'One configuration (version and settings) for many clients through config jobs, with the same plan as an update rollout: phases, waves, limits, retries, window.',
    access: 'update',
    body: true,
    errors: { 400: '`fieldErrors` lists every failing field, inside `settings` too.' },
  })
  @HttpCode(202)
  @BodyLimit(ROLLOUT_BODY_LIMIT_BYTES)
  @ApiAcceptedResponse({
    type: RolloutAcceptedResponseDto,
    description:
      'A config rollout: every target gets this configuration (version and settings) through a config job, in the same phases and waves.',
  })
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
