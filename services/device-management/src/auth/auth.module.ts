import { Module, type DynamicModule } from '@nestjs/common';
import type { AuthConfig } from '../config/app.config';
import { JwtVerifier } from './jwt-verifier';

/**
 * The verifier of bearer tokens, for AuthGuard: AppModule makes that guard the first of every
 * route, before the body is read.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      providers: [{ provide: JwtVerifier, useValue: new JwtVerifier(config) }],
      exports: [JwtVerifier],
    };
  }
}
