import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../auth/auth.decorators';
import { RequestContext } from '../../http/command-context';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RegisterClient } from './register-client.command';
import { RegisterClientRequestDto } from './register-client.request.dto';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class RegisterClientHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('registerClient')
  @ApiCreatedResponse({ description: 'Registered: `{ clientId }`.' })
  @ApiConflictResponse({ description: 'A client with this id exists in the tenant.' })
  register(@Body() body: RegisterClientRequestDto, @RequestContext() context: CommandContext) {
    return this.commandBus.execute<RegisterClient, { clientId: string }>(
      new RegisterClient({
        context,
        clientId: body.clientId,
        labels: body.labels ?? {},
        version: body.version,
      }),
    );
  }
}
