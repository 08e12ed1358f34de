import { Inject, Injectable } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@opcfleet/event-store';
import { ApiProperty } from '@nestjs/swagger';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { notFound } from '../shared/domain/domain-error';
import type { JobKind } from '../shared/domain/domain-event';
import { jobStream } from '../shared/domain/stream-names';
import { JOB_KIND_DEFINITIONS } from './job-kinds';

/** One stored event as auditors read it. */
export class JobEventDto {
  @ApiProperty() revision: number;
  @ApiProperty() type: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: unknown;
  @ApiProperty({ description: 'actor, tenantId, correlationId, causationId' })
  metadata: Record<string, unknown>;
  @ApiProperty() recordedAt: string;
}

export const toJobEventDto = (event: RecordedEvent): JobEventDto => ({
  revision: event.revision,
  type: event.type,
  data: event.data,
  metadata: event.metadata,
  recordedAt: event.recordedAt.toISOString(),
});

/** The raw history of a job, straight from its stream, for the caller's tenant only. */
@Injectable()
export class JobHistory {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async read(tenantId: string, jobId: string): Promise<{ kind: JobKind; events: RecordedEvent[] }> {
    for (const { kind } of JOB_KIND_DEFINITIONS) {
      // Another tenant's job is not found under this tenant's name: answered like a missing one.
      const events = await this.store.readStream(jobStream(kind, tenantId, jobId));
      if (events.length > 0) return { kind, events };
    }
    throw notFound('job', jobId);
  }
}
