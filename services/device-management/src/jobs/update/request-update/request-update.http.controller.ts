import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../../auth/auth.decorators';
import { ClientIdParam } from '../../../http/params';
import { RequestContext } from '../../../http/command-context';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { RequestUpdate, type RequestUpdateResult } from './request-update.command';
import { JobAcceptedResponseDto, RequestUpdateRequestDto } from './request-update.request.dto';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class RequestUpdateHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/update')
  @HttpCode(202)
  @RequirePermission('update')
  @ApiAcceptedResponse({
    type: JobAcceptedResponseDto,
    description: 'The job is stored; it is dispatched over MQTT next.',
  })
  @ApiNotFoundResponse({ description: 'No such client in your tenant.' })
  @ApiConflictResponse({
    description: 'An update is already in flight for this client: `jobId` names it.',
  })
  request(
    @Param() { clientId }: ClientIdParam,
    @Body() body: RequestUpdateRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<RequestUpdateResult> {
    return this.commandBus.execute(new RequestUpdate({ context, clientId, ...body }));
  }
}
