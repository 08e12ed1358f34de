import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint, jsonResponse } from '../http/api-docs';
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
  @ApiEndpoint({
    summary: "The console's sign-in settings",
    description:
      'How the console signs in: the OpenID Connect issuer and public client id when one is configured (OIDC_ISSUER, OIDC_CLIENT_ID), else nothing. Nothing secret.',
    access: 'public',
  })
  @ApiOkResponse(
    jsonResponse('How the console signs in', {
      oidc: {
        issuer: 'https://idp.example.com/realms/opcfleet',
        clientId: 'opcfleet-console',
        scopes: 'openid profile offline_access',
      },
    }),
  )
  settings(): ConsoleSettings {
    return this.config.oidc ? { oidc: this.config.oidc } : {};
  }
}
