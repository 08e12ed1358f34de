import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.decorators';
import type { CommandContext } from '../shared/domain/domain-event';

/**
 * Actor, tenant, correlation id and trace context of the request, for the metadata of the events
 * it causes.
 */
export const RequestContext = createParamDecorator(
  (_: unknown, context: ExecutionContext): CommandContext => {
    const request = context
      .switchToHttp()
      .getRequest<Request & AuthenticatedRequest & { id?: unknown; traceparent?: string }>();
    const principal = request.principal;
    if (!principal) throw new Error('RequestContext on a route without authentication');
    const correlationId = String(request.id);
    return {
      actor: principal.subject,
      tenantId: principal.tenantId,
      correlationId,
      causationId: correlationId,
      ...(request.traceparent && { traceparent: request.traceparent }),
    };
  },
);
