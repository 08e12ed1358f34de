import { Module } from '@nestjs/common';
import { GetOverviewHandler } from './get-overview/get-overview.handler';
import { GetOverviewHttpController } from './get-overview/get-overview.http.controller';

/** The fleet in numbers, for the console's first page. */
@Module({
  controllers: [GetOverviewHttpController],
  providers: [GetOverviewHandler],
})
export class OverviewModule {}
