import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../../auth/auth.decorators';
import { RequestContext } from '../../../http/command-context';
import { ClientIdParam } from '../../../http/params';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { JobAcceptedResponseDto } from '../../update/request-update/request-update.request.dto';
import { RequestConfigChange } from './request-config-change.command';
import { RequestConfigChangeRequestDto } from './request-config-change.request.dto';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class RequestConfigChangeHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/config')
  @HttpCode(202)
  @RequirePermission('configure')
  @ApiAcceptedResponse({ type: JobAcceptedResponseDto })
  @ApiBadRequestResponse({ description: 'Every failing field, including those inside `settings`.' })
  @ApiNotFoundResponse({ description: 'No such client in your tenant.' })
  @ApiConflictResponse({
    description: 'The version is not greater than the latest requested (`currentVersion`).',
  })
  request(
    @Param() { clientId }: ClientIdParam,
    @Body() body: RequestConfigChangeRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<{ jobId: string }> {
    return this.commandBus.execute(new RequestConfigChange({ context, clientId, ...body }));
  }
}
