import { Controller, Delete, Param } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContext } from '../../http/command-context';
import { ClientIdParam } from '../../http/params';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RevokeDeviceCredential, type RevokedDeviceCredential } from './revoke-credential.command';
import { ApiEndpoint, jsonResponse } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RevokeDeviceCredentialHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Delete(':clientId/credentials')
  @ApiEndpoint({
    summary: 'Revoke a device credential',
    description:
      'The credential no longer connects, and its connections to the embedded broker are closed.',
    access: 'registerClient',
    errors: {
      400: 'A failing field (`clientId`).',
      404: 'No such client, or it has no device credential.',
    },
  })
  @ApiOkResponse(
    jsonResponse(
      'Revoked: the credential no longer connects and its connections to the embedded broker are closed.',
      {
        clientId: 'press-07',
        credentialId: '9d2c1b6e-2f0a-4f4e-8a43-51c7f3f2a9d0',
        revokedAt: '2026-11-23T10:00:05.123Z',
      },
    ),
  )
  revoke(
    @Param() { clientId }: ClientIdParam,
    @RequestContext() context: CommandContext,
  ): Promise<RevokedDeviceCredential> {
    return this.commandBus.execute(new RevokeDeviceCredential({ context, clientId }));
  }
}
