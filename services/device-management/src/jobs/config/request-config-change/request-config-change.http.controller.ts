import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../../http/command-context';
import { ClientIdParam } from '../../../http/params';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { JobAcceptedResponseDto } from '../../update/request-update/request-update.request.dto';
import { RequestConfigChange } from './request-config-change.command';
import { RequestConfigChangeRequestDto } from './request-config-change.request.dto';
import { ApiEndpoint } from '../../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RequestConfigChangeHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/config')
  @ApiEndpoint({
    summary: "Change a client's configuration",
    description:
      'Validates `settings` with the OPC client config schema (the same code the device runs), stores a config job and answers at once; the command goes to the device over MQTT next.',
    access: 'configure',
    body: true,
    errors: {
      400: 'Every failing field, including those inside `settings`.',
      404: 'No such client in your tenant.',
      409: 'The version is not greater than the latest requested (`currentVersion`).',
    },
  })
  @HttpCode(202)
  @ApiAcceptedResponse({ type: JobAcceptedResponseDto })
  request(
    @Param() { clientId }: ClientIdParam,
    @Body() body: RequestConfigChangeRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<{ jobId: string }> {
    return this.commandBus.execute(new RequestConfigChange({ context, clientId, ...body }));
  }
}
