import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RequestContext } from '../../http/command-context';
import { JobIdParam } from '../../http/params';
import type { CommandContext } from '../../shared/domain/domain-event';
import { CancelJob } from './cancel-job.command';
import { ReasonRequestDto } from '../../http/reason.request.dto';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/v1/jobs')
export class CancelJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission('configure')
  @ApiOkResponse({ description: '`{ jobId, status: "Cancelled" }`' })
  @ApiConflictResponse({
    description: 'The job already ended, or the device has started swapping containers.',
  })
  cancel(
    @Param() { id }: JobIdParam,
    @Body() body: ReasonRequestDto,
    @RequestContext() context: CommandContext,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.commandBus.execute(
      new CancelJob({ context, roles: principal.roles, jobId: id, reason: body?.reason }),
    );
  }
}
