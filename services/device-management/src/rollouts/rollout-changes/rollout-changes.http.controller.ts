import { Controller, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { filter, map, type Observable } from 'rxjs';
import { AllowQueryToken, CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint } from '../../http/api-docs';
import { withHeartbeat } from '../../http/event-stream';
import { ChangeFeed } from '../../read-models/change-feed';
import { RolloutChangesRequestDto } from './rollout-changes.request.dto';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class RolloutChangesHttpController {
  constructor(private readonly feed: ChangeFeed) {}

  @Sse('changes')
  @ApiEndpoint({
    summary: 'Follow rollout changes (server-sent events)',
    description:
      "A `text/event-stream` of `rollout` events, each the rollout's summary as GET /api/v1/rollouts lists it (status, phases, counts), whenever one of the tenant's rollouts changes, with a `heartbeat` event every few seconds. EventSource cannot send headers, so the token may also come as `?access_token=`.",
    access: 'read',
  })
  @AllowQueryToken()
  @ApiOkResponse({
    description: "text/event-stream of `rollout` events, each the rollout's summary",
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'event: rollout\nid: 9d3c1f0a-2b4e-4f6a-8c7d-1e2f3a4b5c6d\ndata: {"rolloutId":"9d3c1f0a-2b4e-4f6a-8c7d-1e2f3a4b5c6d","status":"Running","kind":"update","image":"registry.example.com/opc-core:2.1.0","targetVersion":"2.1.0","batchSize":10,"maxFailures":0,"phases":[{"size":100,"batchSize":10,"soakSeconds":0,"requiresApproval":false,"status":"running","counts":{"total":100,"pending":50,"inFlight":10,"retrying":0,"succeeded":40,"failed":0,"cancelled":0,"skipped":0}}],"currentPhase":0,"startedAt":"2026-11-30T22:00:00.000Z","counts":{"total":100,"pending":50,"inFlight":10,"retrying":0,"succeeded":40,"failed":0,"cancelled":0,"skipped":0},"percentDone":40}\n\n',
      },
    },
  })
  changes(
    @Query() query: RolloutChangesRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Observable<MessageEvent> {
    const changes = this.feed.rolloutsOf(principal.tenantId).pipe(
      filter((rollout) => !query.rolloutId || rollout.rolloutId === query.rolloutId),
      map((rollout): MessageEvent => ({ type: 'rollout', id: rollout.rolloutId, data: rollout })),
    );
    return withHeartbeat(changes);
  }
}
