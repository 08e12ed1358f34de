import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Permission, Principal } from './principal';

export const PUBLIC_ROUTE = 'opcfleet:public';
export const REQUIRED_PERMISSION = 'opcfleet:permission';
export const QUERY_TOKEN_ALLOWED = 'opcfleet:query-token';

/** Operational endpoints outside the API (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The permission (a set of roles, see PERMISSIONS) the caller needs; 403 otherwise. */
export const RequirePermission = (permission: Permission) =>
  SetMetadata(REQUIRED_PERMISSION, permission);

/** EventSource cannot send headers: this route also accepts `?access_token=`. */
export const AllowQueryToken = () => SetMetadata(QUERY_TOKEN_ALLOWED, true);

export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The verified caller of the request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Error('CurrentPrincipal on a route without authentication');
    return principal;
  },
);
