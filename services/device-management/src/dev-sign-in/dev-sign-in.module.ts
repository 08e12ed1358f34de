import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app.config';
import { DevSignInHttpController } from './dev-sign-in.http.controller';

/**
 * The development sign-in routes exist only when `config.devSignIn` is set (start-service.ts
 * sets it when the JWT key is the embedded development one); otherwise they are a plain 404.
 */
@Module({})
export class DevSignInModule {
  static forRoot(config: AppConfig): DynamicModule {
    const enabled = config.devSignIn === true && config.auth.hs256Secret !== undefined;
    return { module: DevSignInModule, controllers: enabled ? [DevSignInHttpController] : [] };
  }
}
