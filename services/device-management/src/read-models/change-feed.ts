import { Injectable } from '@nestjs/common';
import { filter, map, Subject, type Observable } from 'rxjs';
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

  /** The tenant's jobs as they change. */
  jobsOf(tenantId: string): Observable<JobDto> {
    return this.ofTenant(tenantId, (change) => ('job' in change ? change.job : undefined));
  }

  /** The summaries of the tenant's rollouts as they change. */
  rolloutsOf(tenantId: string): Observable<RolloutSummaryDto> {
    return this.ofTenant(tenantId, (change) => ('rollout' in change ? change.rollout : undefined));
  }

  private ofTenant<T>(
    tenantId: string,
    pick: (change: ReadModelChange) => T | undefined,
  ): Observable<T> {
    return this.subject.pipe(
      filter((change) => change.tenantId === tenantId),
      map(pick),
      filter((picked): picked is T => picked !== undefined),
    );
  }

  complete(): void {
    this.subject.complete();
  }
}
