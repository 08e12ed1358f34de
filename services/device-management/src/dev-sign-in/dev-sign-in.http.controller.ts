import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { mintDevToken } from '../auth/mint-dev-token';
import { ROLES } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app.config';
import { DevSignInRequestDto } from './dev-sign-in.request.dto';

/** Tenant of the development tokens unless another is asked for. */
export const DEV_TENANT = 'demo';

/**
 * Development sign-in for the console: a token for any role and tenant, for whoever asks.
 * Mounted only when the service signs tokens with its own embedded development key
 * (`npm start` without JWT_SECRET or JWT_JWKS_URL), never in production: see DevSignInModule.
 */
@ApiTags('development')
@Controller('api/v1/dev/sign-in')
export class DevSignInHttpController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Public()
  @ApiOkResponse({ description: 'Development sign-in is available: the roles it offers' })
  offer() {
    return { tenant: DEV_TENANT, roles: ROLES };
  }

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ description: 'A 12-hour token of the role and tenant asked for' })
  async signIn(@Body() body: DevSignInRequestDto) {
    const tenant = body.tenant ?? DEV_TENANT;
    const { hs256Secret, issuer, audience } = this.config.auth;
    const token = await mintDevToken(hs256Secret!, {
      tenant,
      roles: [body.role],
      subject: `dev-${body.role}`,
      issuer,
      audience,
    });
    return { token, tenant, roles: [body.role], subject: `dev-${body.role}` };
  }
}
