import { Controller, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { filter, map, type Observable } from 'rxjs';
import { AllowQueryToken, CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ChangeFeed } from '../../read-models/change-feed';
import { withHeartbeat } from '../../http/event-stream';
import { JobChangesRequestDto } from './job-changes.request.dto';
import { ApiEndpoint, EXAMPLES } from '../../http/api-docs';

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class JobChangesHttpController {
  constructor(private readonly feed: ChangeFeed) {}

  @Sse('changes')
  @ApiEndpoint({
    summary: 'Follow job changes (server-sent events)',
    description:
      "A `text/event-stream` of `job` events, each the job as GET /api/v1/jobs/{id} shows it, whenever one of the tenant's jobs changes, with a `heartbeat` event every few seconds. EventSource cannot send headers, so the token may also come as `?access_token=`.",
    access: 'read',
  })
  @AllowQueryToken()
  @ApiOkResponse({
    description:
      'text/event-stream of `job` events, each the job as GET /jobs/{id} shows it, whenever it changes',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example: `event: job\nid: ${EXAMPLES.job.jobId}\ndata: ${JSON.stringify(EXAMPLES.job)}\n\n`,
      },
    },
  })
  changes(
    @Query() query: JobChangesRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Observable<MessageEvent> {
    const changes = this.feed.jobsOf(principal.tenantId).pipe(
      filter((job) => !query.jobId || job.jobId === query.jobId),
      filter((job) => !query.clientId || job.clientId === query.clientId),
      map((job): MessageEvent => ({ type: 'job', id: `${job.jobId}`, data: job })),
    );
    return withHeartbeat(changes);
  }
}
