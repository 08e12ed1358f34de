import { Module } from '@nestjs/common';
import { GetReleaseHandler } from './get-release/get-release.handler';
import { GetReleaseHttpController } from './get-release/get-release.http.controller';
import { ListReleaseClientsHandler } from './list-release-clients/list-release-clients.handler';
import { ListReleaseClientsHttpController } from './list-release-clients/list-release-clients.http.controller';
import { ListReleasesHandler } from './list-releases/list-releases.handler';
import { ListReleasesHttpController } from './list-releases/list-releases.http.controller';
import { RegisterReleaseHandler } from './register-release/register-release.handler';
import { RegisterReleaseHttpController } from './register-release/register-release.http.controller';
import { ReleaseStreams } from './release-streams';
import { WithdrawReleaseHandler } from './withdraw-release/withdraw-release.handler';
import { WithdrawReleaseHttpController } from './withdraw-release/withdraw-release.http.controller';

/**
 * The version catalogue: releases registered once, perhaps withdrawn, never edited. Jobs and
 * rollouts resolve a release through ReleaseStreams.
 */
@Module({
  controllers: [
    RegisterReleaseHttpController,
    ListReleasesHttpController,
    GetReleaseHttpController,
    ListReleaseClientsHttpController,
    WithdrawReleaseHttpController,
  ],
  providers: [
    ReleaseStreams,
    RegisterReleaseHandler,
    WithdrawReleaseHandler,
    ListReleasesHandler,
    GetReleaseHandler,
    ListReleaseClientsHandler,
  ],
  exports: [ReleaseStreams],
})
export class ReleasesModule {}
