import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { DataSource } from 'typeorm';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { JobHistory, toJobEventDto, type JobEventDto } from '../job-history';
import { ClientView, JobView } from '../../read-models/read-model.entities';
import { toClientDto, type ClientDto, type JobDto } from '../../read-models/read-model.dto';
import { notFound } from '../../shared/domain/domain-error';
import { GetClientHistory } from './client-history.query';

export interface ClientHistoryDto {
  client: ClientDto;
  /** The client's own stream: registration, job starts and ends, presence. */
  events: JobEventDto[];
  /** Every job of the client, newest first, each with its events. */
  jobs: (JobDto & { events: JobEventDto[] })[];
}

@QueryHandler(GetClientHistory)
export class GetClientHistoryHandler implements IQueryHandler<GetClientHistory, ClientHistoryDto> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly history: JobHistory,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ tenantId, clientId }: GetClientHistory): Promise<ClientHistoryDto> {
    const client = await this.dataSource
      .getRepository(ClientView)
      .findOneBy({ tenantId, clientId });
    if (!client) throw notFound('client', clientId);
    const jobs = await this.dataSource
      .getRepository(JobView)
      .find({ where: { tenantId, clientId }, order: { requestedAt: 'DESC' } });
    const clientEvents = await this.store.readStream(client.streamName);
    return {
      client: toClientDto(client),
      events: clientEvents.map(toJobEventDto),
      jobs: await Promise.all(
        jobs.map(async (job) => ({
          ...job.document,
          events: (await this.history.read(tenantId, job.jobId)).events.map(toJobEventDto),
        })),
      ),
    };
  }
}
