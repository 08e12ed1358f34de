import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import {
  PUBLIC_ROUTE,
  QUERY_TOKEN_ALLOWED,
  REQUIRED_PERMISSION,
  type AuthenticatedRequest,
} from './auth.decorators';
import { InvalidTokenError, JwtVerifier } from './jwt-verifier';
import { may, PERMISSIONS, type Permission } from './principal';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public, and the
 * permission named by @RequirePermission (default: read).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const token = this.tokenOf(
      request,
      this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN_ALLOWED, targets),
    );
    if (!token)
      throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <jwt>)');
    try {
      request.principal = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
    const permission =
      this.reflector.getAllAndOverride<Permission>(REQUIRED_PERMISSION, targets) ?? 'read';
    if (!may(request.principal, permission)) {
      throw new ForbiddenException(
        `this needs one of the roles ${PERMISSIONS[permission].join(', ')}; the token has ${request.principal.roles.join(', ') || 'none'}`,
      );
    }
    return true;
  }

  private tokenOf(request: Request, queryAllowed: boolean): string | undefined {
    const header = request.headers.authorization;
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (match) return match[1];
    const query = request.query?.access_token;
    return queryAllowed && typeof query === 'string' ? query : undefined;
  }
}
