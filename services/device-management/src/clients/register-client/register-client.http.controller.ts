import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../http/command-context';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RegisterClient } from './register-client.command';
import { RegisterClientRequestDto } from './register-client.request.dto';
import { ApiEndpoint, jsonResponse } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RegisterClientHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @ApiEndpoint({
    summary: 'Register a client',
    description:
      'Adds a client (an edge device) to the tenant, with its labels and current version.',
    access: 'registerClient',
    body: true,
    errors: {
      400: 'Every failing field, unknown fields included.',
      409: 'A client with this id exists in the tenant.',
    },
  })
  @HttpCode(201)
  @ApiCreatedResponse(jsonResponse('Registered', { clientId: 'press-07' }))
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
