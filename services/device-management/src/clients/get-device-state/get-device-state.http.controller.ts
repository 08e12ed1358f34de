import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint } from '../../http/api-docs';
import { ClientIdParam } from '../../http/params';
import { DeviceStateDto } from './device-state.dto';
import { GetDeviceState } from './get-device-state.query';

@ApiTags('clients')
@Controller('api/v1/clients')
export class GetDeviceStateHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':clientId/device')
  @ApiEndpoint({
    summary: "What the client's agent last said about itself",
    description:
      "The agent's retained state summary: its version, the workload (version, running, a problem), the job and update-machine state it is in and since when, the config version, the clock skew. `stale` when the client is offline or no summary came yet.",
    access: 'read',
    errors: { 400: 'A failing field (`clientId`).', 404: 'No such client in your tenant.' },
  })
  @ApiOkResponse({
    type: DeviceStateDto,
    example: {
      clientId: 'press-07',
      reported: true,
      stale: false,
      presence: 'online',
      agentVersion: '0.1.0',
      workload: { version: '2.0.0', image: 'registry.example.com/opc-core:2.0.0', running: true },
      configVersion: 3,
      currentJob: {
        jobId: '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41',
        kind: 'update',
        state: 'verifying',
        since: '2026-11-30T10:00:05.000Z',
      },
      clockSkewSeconds: 2,
      reportedAt: '2026-11-30T10:00:05.000Z',
      receivedAt: '2026-11-30T10:00:05.120Z',
    },
  })
  get(
    @Param() { clientId }: ClientIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceStateDto> {
    return this.queryBus.execute(new GetDeviceState(principal.tenantId, clientId));
  }
}
