import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { JobDto } from './read-model.dto';
import type { RolloutSummaryDto } from './rollout.dto';

/** A read-model row as the projection commits it: a job, or a rollout's summary. */
export type ReadModelChange =
  { tenantId: string; job: JobDto } | { tenantId: string; rollout: RolloutSummaryDto };

/**
 * Read-model changes as the projection commits them, for the server-sent-events streams. In
 * process only: each replica runs its own projection subscription, so each sees every change.
 */
@Injectable()
export class ChangeFeed {
  private readonly subject = new Subject<ReadModelChange>();

  publish(change: ReadModelChange): void {
    this.subject.next(change);
  }

  /** True while some stream listens: changes are only looked up for listeners. */
  get observed(): boolean {
    return this.subject.observed;
  }

  get changes(): Observable<ReadModelChange> {
    return this.subject.asObservable();
  }

  complete(): void {
    this.subject.complete();
  }
}
