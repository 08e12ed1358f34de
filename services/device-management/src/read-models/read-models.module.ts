import { Module } from '@nestjs/common';
import { JobChangeFeed } from './job-change-feed';
import { ReadModelProjection } from './read-model.projection';

/** The read models' catch-up projection (a worker) and the feed of job changes it fills. */
@Module({
  providers: [ReadModelProjection, JobChangeFeed],
  exports: [ReadModelProjection, JobChangeFeed],
})
export class ReadModelsModule {}
