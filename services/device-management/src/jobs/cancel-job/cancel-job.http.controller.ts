import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RequestContext } from '../../http/command-context';
import { JobIdParam } from '../../http/params';
import type { CommandContext } from '../../shared/domain/domain-event';
import { CancelJob } from './cancel-job.command';
import { ReasonRequestDto } from '../../http/reason.request.dto';
import { ApiEndpoint, jsonResponse } from '../../http/api-docs';

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class CancelJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/cancel')
  @ApiEndpoint({
    summary: 'Cancel a job',
    description:
      'Stops a job that has not reached the point of no return on the device; the device is told to stop.',
    access: 'configure',
    body: true,
    errors: {
      400: 'A failing field (`reason`).',
      404: 'No such job in your tenant.',
      409: 'The job already ended, or the device has started swapping containers.',
    },
  })
  @HttpCode(200)
  @ApiOkResponse(
    jsonResponse('Cancelled; the device is told to stop', {
      jobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
      status: 'Cancelled',
    }),
  )
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
