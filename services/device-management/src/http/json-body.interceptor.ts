import {
  Injectable,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { DEFAULT_BODY_LIMIT_BYTES, readJsonBody, refuseForbiddenKeys } from './json-body';

const BODY_LIMIT = 'opcfleet:body-limit';

/** This route takes bodies of up to `bytes` instead of DEFAULT_BODY_LIMIT_BYTES. */
export const BodyLimit = (bytes: number) => SetMetadata(BODY_LIMIT, bytes);

/**
 * The service's only body parser (Nest's own is off): it runs after authentication, so an
 * anonymous caller never gets a body read, and before the pipes, with the limit of the route.
 * It also refuses forbidden keys in the query string, which class-transformer would drop.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    refuseForbiddenKeys(request.query);
    const limit =
      this.reflector.get<number | undefined>(BODY_LIMIT, context.getHandler()) ??
      DEFAULT_BODY_LIMIT_BYTES;
    const route = `${request.method} ${(request.route as { path?: string } | undefined)?.path}`;
    request.body = await readJsonBody(request, limit, route);
    return next.handle();
  }
}
