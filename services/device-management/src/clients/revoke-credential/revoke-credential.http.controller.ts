import { Controller, Delete, Param } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../auth/auth.decorators';
import { RequestContext } from '../../http/command-context';
import { ClientIdParam } from '../../http/params';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RevokeDeviceCredential, type RevokedDeviceCredential } from './revoke-credential.command';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class RevokeDeviceCredentialHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Delete(':clientId/credentials')
  @RequirePermission('registerClient')
  @ApiOkResponse({
    description:
      'Revoked: `{ clientId, credentialId, revokedAt }`. The credential no longer connects and ' +
      'its connections to the embedded broker are closed.',
  })
  @ApiNotFoundResponse({ description: 'No such client, or it has no device credential.' })
  revoke(
    @Param() { clientId }: ClientIdParam,
    @RequestContext() context: CommandContext,
  ): Promise<RevokedDeviceCredential> {
    return this.commandBus.execute(new RevokeDeviceCredential({ context, clientId }));
  }
}
