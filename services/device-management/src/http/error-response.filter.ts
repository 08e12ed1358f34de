import {
  Catch,
  HttpException,
  HttpStatus,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, type DomainErrorCode } from '../shared/domain/domain-error';

/** The one place where expected failures become HTTP status codes. */
const STATUS_OF: Record<DomainErrorCode, number> = {
  not_found: HttpStatus.NOT_FOUND,
  already_exists: HttpStatus.CONFLICT,
  update_in_flight: HttpStatus.CONFLICT,
  no_previous_release: HttpStatus.CONFLICT,
  release_changed: HttpStatus.CONFLICT,
  config_version_not_increasing: HttpStatus.CONFLICT,
  job_final: HttpStatus.CONFLICT,
  job_not_cancellable: HttpStatus.CONFLICT,
  rollout_final: HttpStatus.CONFLICT,
  rollout_not_running: HttpStatus.CONFLICT,
  rollout_not_paused: HttpStatus.CONFLICT,
  rollout_not_awaiting_approval: HttpStatus.CONFLICT,
  rollout_cannot_roll_back: HttpStatus.CONFLICT,
  release_exists: HttpStatus.CONFLICT,
  release_withdrawn: HttpStatus.CONFLICT,
  release_constraints_not_met: HttpStatus.CONFLICT,
  downgrade_refused: HttpStatus.CONFLICT,
  concurrency_conflict: HttpStatus.CONFLICT,
  invalid_input: HttpStatus.BAD_REQUEST,
  forbidden: HttpStatus.FORBIDDEN,
};

/** Error codes of the pg driver and PostgreSQL that mean "the database is not there". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
      return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
        message,
      )
    ) {
      return true;
    }
    e =
      (e as { cause?: unknown; driverError?: unknown }).driverError ??
      (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [detail: string]: unknown;
}

/**
 * Turns every failure into a JSON body with a status: DomainError by its code, Nest's own
 * HTTP exceptions as they are, an unreachable database as 503. Anything else is a bug: 500,
 * logged with the correlation id, without internals in the body.
 */
@Catch()
export class ErrorResponseFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: unknown }>();
    const body = this.bodyFor(exception, request);
    if (body.statusCode >= 500) {
      this.logger.error(
        {
          err: exception,
          correlationId: request.id,
          method: request.method,
          url: request.originalUrl,
        },
        'request failed',
      );
    }
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  private bodyFor(exception: unknown, request: Request): ErrorBody {
    if (exception instanceof DomainError) {
      return {
        statusCode: STATUS_OF[exception.code],
        error: exception.code,
        message: exception.message,
        ...exception.details,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      const fields = typeof raw === 'object' && raw ? (raw as Record<string, unknown>) : {};
      return {
        ...fields,
        statusCode: status,
        error: typeof fields.error === 'string' ? fields.error : defaultErrorName(status),
        message: messageOf(fields.message) ?? exception.message,
      };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'database_unavailable',
        message: 'the database cannot be reached; try again shortly',
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'internal_error',
      message: `unexpected error; quote correlation id ${String((request as { id?: unknown }).id)}`,
    };
  }
}

function messageOf(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}

function defaultErrorName(status: number): string {
  return (HttpStatus[status] ?? 'error').toLowerCase();
}
