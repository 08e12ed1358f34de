import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { JobHistory, toJobEventDto, type JobEventDto } from '../job-history';
import { GetJobEvents } from './job-events.query';

@QueryHandler(GetJobEvents)
export class GetJobEventsHandler implements IQueryHandler<GetJobEvents, JobEventDto[]> {
  constructor(private readonly history: JobHistory) {}

  async execute({ tenantId, jobId }: GetJobEvents): Promise<JobEventDto[]> {
    const { events } = await this.history.read(tenantId, jobId);
    return events.map(toJobEventDto);
  }
}
