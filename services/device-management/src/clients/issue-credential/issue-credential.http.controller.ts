import { Controller, Header, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../http/command-context';
import { ClientIdParam } from '../../http/params';
import type { CommandContext } from '../../shared/domain/domain-event';
import { IssueDeviceCredential, type IssuedDeviceCredential } from './issue-credential.command';
import { IssuedDeviceCredentialDto } from './issue-credential.response.dto';
import { ApiEndpoint } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class IssueDeviceCredentialHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/credentials')
  @ApiEndpoint({
    summary: 'Issue a device credential',
    description:
      'The MQTT username and password of the client on the embedded broker, shown once; a credential the client already had stops working at once.',
    access: 'registerClient',
    errors: { 400: 'A failing field (`clientId`).', 404: 'No such client in your tenant.' },
  })
  @HttpCode(201)
  // The password is in this body only: no cache on the way may keep it.
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    type: IssuedDeviceCredentialDto,
    description:
      'The device credential of the client on the embedded broker: its MQTT username and ' +
      'password, shown once. A credential the client already had stops working at once.',
  })
  issue(
    @Param() { clientId }: ClientIdParam,
    @RequestContext() context: CommandContext,
  ): Promise<IssuedDeviceCredential> {
    return this.commandBus.execute(new IssueDeviceCredential({ context, clientId }));
  }
}
