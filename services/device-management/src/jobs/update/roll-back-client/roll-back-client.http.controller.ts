import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../../http/api-docs';
import { RequestContext } from '../../../http/command-context';
import { ClientIdParam } from '../../../http/params';
import type { CommandContext } from '../../../shared/domain/domain-event';
import type { RequestUpdateResult } from '../request-update/request-update.command';
import { JobAcceptedResponseDto } from '../request-update/request-update.request.dto';
import { RollBackClient } from './roll-back-client.command';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RollBackClientHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/roll-back')
  @ApiEndpoint({
    summary: 'Roll a client back to the release it ran before',
    description:
      'Stores an update job back to the version and image the client ran before its last succeeded update (the agent keeps that image), and answers at once, as an update does. A second roll-back goes forward again.',
    access: 'update',
    errors: {
      404: 'No such client in your tenant.',
      409: '`no_previous_release`: no earlier update through opcfleet replaced a release whose image is known; `update_in_flight`: an update is in flight for this client (`jobId` names it); `release_changed`: updates kept changing the release of the client while the roll-back was requested (try again).',
    },
  })
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobAcceptedResponseDto,
    description: 'The roll-back job is stored; it is dispatched over MQTT next.',
  })
  rollBack(
    @Param() { clientId }: ClientIdParam,
    @RequestContext() context: CommandContext,
  ): Promise<RequestUpdateResult> {
    return this.commandBus.execute(new RollBackClient({ context, clientId }));
  }
}
