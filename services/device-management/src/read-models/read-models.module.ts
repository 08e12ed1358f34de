import { Module } from '@nestjs/common';
import { ChangeFeed } from './change-feed';
import { ReadModelMetrics } from './read-model.metrics';
import { ReadModelProjection } from './read-model.projection';

/**
 * The read models' catch-up projection (a worker), the feed of job and rollout changes it fills,
 * and the job counts Prometheus scrapes.
 */
@Module({
  providers: [ReadModelProjection, ChangeFeed, ReadModelMetrics],
  exports: [ReadModelProjection, ChangeFeed],
})
export class ReadModelsModule {}
