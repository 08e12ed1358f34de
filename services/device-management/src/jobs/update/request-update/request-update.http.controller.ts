import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { ClientIdParam } from '../../../http/params';
import { RequestContext } from '../../../http/command-context';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { RequestUpdate, type RequestUpdateResult } from './request-update.command';
import { JobAcceptedResponseDto, RequestUpdateRequestDto } from './request-update.request.dto';
import { ApiEndpoint } from '../../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RequestUpdateHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/update')
  @ApiEndpoint({
    summary: "Update a client's software",
    description:
      'Stores an update job (target version and image) and answers at once; the command goes to the device over MQTT next. One update per client at a time.',
    access: 'update',
    body: true,
    errors: {
      400: 'Every failing field.',
      404: 'No such client in your tenant.',
      409: 'An update is already in flight for this client: `jobId` names it.',
    },
  })
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobAcceptedResponseDto,
    description: 'The job is stored; it is dispatched over MQTT next.',
  })
  request(
    @Param() { clientId }: ClientIdParam,
    @Body() body: RequestUpdateRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<RequestUpdateResult> {
    return this.commandBus.execute(new RequestUpdate({ context, clientId, ...body }));
  }
}
