import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { mintDevToken } from '../auth/mint-dev-token';
import { ROLES } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app.config';
import { DevSignInRequestDto } from './dev-sign-in.request.dto';
import { ApiEndpoint, jsonResponse } from '../http/api-docs';

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
  @ApiEndpoint({
    summary: 'Development sign-in offer',
    description:
      'Whether development sign-in is available, and the tenant and roles it offers. Mounted only on the embedded development key.',
    access: 'public',
  })
  @ApiOkResponse(
    jsonResponse('Development sign-in is available: the roles it offers', {
      tenant: 'demo',
      roles: ['admin', 'operator', 'auditor'],
    }),
  )
  offer() {
    return { tenant: DEV_TENANT, roles: ROLES };
  }

  @Post()
  @ApiEndpoint({
    summary: 'Development sign-in',
    description:
      'A 12-hour token of the role and tenant asked for, signed with the embedded development key. Never mounted in production.',
    access: 'public',
    body: true,
    errors: { 400: 'Every failing field (`role`, `tenant`).' },
  })
  @HttpCode(200)
  @ApiOkResponse(
    jsonResponse('A 12-hour token of the role and tenant asked for', {
      token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYtYXVkaXRvciJ9.c2lnbmF0dXJl',
      tenant: 'demo',
      roles: ['auditor'],
      subject: 'dev-auditor',
    }),
  )
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
