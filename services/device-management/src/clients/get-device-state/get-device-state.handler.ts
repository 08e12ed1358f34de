import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ClientView, DeviceStateView } from '../../read-models/read-model.entities';
import { notFound } from '../../shared/domain/domain-error';
import { toDeviceStateDto, type DeviceStateDto } from './device-state.dto';
import { GetDeviceState } from './get-device-state.query';

@QueryHandler(GetDeviceState)
export class GetDeviceStateHandler implements IQueryHandler<GetDeviceState, DeviceStateDto> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ tenantId, clientId }: GetDeviceState): Promise<DeviceStateDto> {
    const [client, state] = await Promise.all([
      this.dataSource.getRepository(ClientView).findOneBy({ tenantId, clientId }),
      this.dataSource.getRepository(DeviceStateView).findOneBy({ tenantId, clientId }),
    ]);
    if (!client) throw notFound('client', clientId);
    return toDeviceStateDto(clientId, client.presence, state);
  }
}
