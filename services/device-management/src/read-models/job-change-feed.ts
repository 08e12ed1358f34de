import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { JobDto } from './read-model.dto';

export interface JobChange {
  tenantId: string;
  job: JobDto;
}

/**
 * Job changes as the projection commits them, for the server-sent-events stream. In-process
 * only: each replica runs its own projection subscription, so each sees every change.
 */
@Injectable()
export class JobChangeFeed {
  private readonly subject = new Subject<JobChange>();

  publish(change: JobChange): void {
    this.subject.next(change);
  }

  /** True while some stream listens: changes are only looked up for listeners. */
  get observed(): boolean {
    return this.subject.observed;
  }

  get changes(): Observable<JobChange> {
    return this.subject.asObservable();
  }

  complete(): void {
    this.subject.complete();
  }
}
