import { Module } from '@nestjs/common';
import { JobChangeFeed } from './job-change-feed';
import { ReadModelMetrics } from './read-model.metrics';
import { ReadModelProjection } from './read-model.projection';

/**
 * The read models' catch-up projection (a worker), the feed of job changes it fills, and the
 * job counts Prometheus scrapes.
 */
@Module({
  providers: [ReadModelProjection, JobChangeFeed, ReadModelMetrics],
  exports: [ReadModelProjection, JobChangeFeed],
})
export class ReadModelsModule {}
