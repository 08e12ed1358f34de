import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { APP_CONFIG, type AppConfig, type OidcConfig } from '../config/app.config';

export interface ConsoleSettings {
  /** Absent: no OpenID Connect sign-in (development sign-in or a pasted token only). */
  oidc?: OidcConfig;
}

/**
 * What the console needs to know before anyone signs in: served as JSON because the console's
 * CSP allows no inline script to carry it. Nothing secret: the client is a public one.
 */
@ApiTags('console')
@Controller('api/v1/console/settings')
export class ConsoleSettingsHttpController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Public()
  @ApiOkResponse({
    description: '`{ oidc?: { issuer, clientId, scopes, resource? } }`: how the console signs in',
  })
  settings(): ConsoleSettings {
    return this.config.oidc ? { oidc: this.config.oidc } : {};
  }
}
