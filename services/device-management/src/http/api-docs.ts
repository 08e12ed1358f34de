import { applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Public, RequirePermission } from '../auth/auth.decorators';
import { PERMISSIONS, type Permission } from '../auth/principal';

/** One failing field of a 400 (`fieldErrors`). */
export class FieldErrorDto {
  @ApiProperty({ example: 'from' }) path: string;
  @ApiProperty({ example: 'must be an ISO-8601 date and time' }) message: string;
}

/**
 * The one error body of the service (ErrorResponseFilter): every 4xx and 5xx answer has it.
 * Domain errors add their details (`jobId` of the update in flight, `currentVersion`...).
 */
export class ErrorResponseDto {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({
    description: 'A stable code: `invalid_input`, `not_found`, ...',
    example: 'not_found',
  })
  error: string;
  @ApiProperty({ example: 'job 0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11 not found' })
  message: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Every failing field (400 only)' })
  fieldErrors?: FieldErrorDto[];
}

/** The error statuses an operation may document beyond the standard ones. */
export type ErrorStatus = 400 | 404 | 409 | 413 | 415;

const EXAMPLE_OF: Record<ErrorStatus | 401 | 403 | 503, Omit<ErrorResponseDto, 'statusCode'>> = {
  400: {
    error: 'invalid_input',
    message: 'the request is invalid; see fieldErrors',
    fieldErrors: [{ path: 'limit', message: 'limit must not be greater than 500' }],
  },
  401: {
    error: 'Unauthorized',
    message: 'a bearer token is required (Authorization: Bearer <jwt>)',
  },
  403: {
    error: 'Forbidden',
    message: 'this needs one of the roles admin; the token has auditor',
  },
  404: { error: 'not_found', message: 'client line-7 not found' },
  409: { error: 'update_in_flight', message: 'client line-7 has an update in flight' },
  413: {
    error: 'payload_too_large',
    message: 'the request body is larger than 262144 bytes, the limit of POST /api/v1/clients',
  },
  415: {
    error: 'unsupported_media_type',
    message: 'request bodies must be JSON: Content-Type application/json (charset utf-8 if given)',
  },
  503: {
    error: 'database_unavailable',
    message: 'the database cannot be reached; try again shortly',
  },
};

/** What every operation may answer whatever it does, and why. */
export const STANDARD_ERRORS = {
  400: 'A forbidden key (`__proto__`, `constructor`, `prototype`) in the query, or a malformed body.',
  401: 'No bearer token, or one that is invalid, expired or without `exp`.',
  403: 'The token has none of the roles this operation needs.',
  413: 'The body is larger than the limit of the route.',
  415: 'The body is not JSON (`Content-Type: application/json`, uncompressed).',
  503: 'The database cannot be reached; try again shortly.',
} as const;

/** The names of the standard errors in `components.responses` (see shareStandardErrors). */
export const STANDARD_ERROR_NAMES: Record<keyof typeof STANDARD_ERRORS, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  503: 'DatabaseUnavailable',
};

export const errorResponse = (status: keyof typeof EXAMPLE_OF, description: string) =>
  ApiResponse({
    status,
    description,
    type: ErrorResponseDto,
    example: { statusCode: status, ...EXAMPLE_OF[status] },
  });

export interface EndpointDoc {
  summary: string;
  description: string;
  /**
   * Who may call it (RequirePermission is applied here, so the document and the guard read
   * the same value); `public` for the operational routes outside the API (no token).
   */
  access: Permission | 'public';
  /** The errors of this operation beyond the standard ones, with when they happen. */
  errors?: Partial<Record<ErrorStatus, string>>;
  /** It takes a JSON body: 413 and 415 are documented. */
  body?: boolean;
}

/**
 * Documents an operation completely in one place: summary, description (with the roles that may
 * call it), security (`[]` for a public one), and every error it can answer, each with the
 * service's error body and an example.
 */
export function ApiEndpoint(doc: EndpointDoc): MethodDecorator {
  const isPublic = doc.access === 'public';
  const roles = isPublic
    ? 'Public: no token.'
    : `Roles: ${PERMISSIONS[doc.access as Permission].join(', ')}.`;
  const errors: Partial<Record<keyof typeof EXAMPLE_OF, string>> = {
    400: STANDARD_ERRORS[400],
    ...(isPublic ? {} : { 401: STANDARD_ERRORS[401], 403: STANDARD_ERRORS[403] }),
    ...(doc.body ? { 413: STANDARD_ERRORS[413], 415: STANDARD_ERRORS[415] } : {}),
    ...(isPublic ? {} : { 503: STANDARD_ERRORS[503] }),
    ...doc.errors,
  };
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ApiOperation({
      summary: doc.summary,
      description: `${doc.description}\n\n${roles}`,
      ...(isPublic ? { security: [] } : {}),
    }),
    ...(isPublic ? [Public()] : [ApiBearerAuth(), RequirePermission(doc.access as Permission)]),
    ...Object.entries(errors).map(([status, description]) =>
      errorResponse(Number(status) as keyof typeof EXAMPLE_OF, description),
    ),
  );
}

type JsonSchema = Record<string, unknown>;

/** The JSON schema an example has: what it shows is what the schema says (it validates). */
export function schemaOfExample(example: unknown): JsonSchema {
  if (Array.isArray(example)) {
    return { type: 'array', items: example.length ? schemaOfExample(example[0]) : {} };
  }
  if (example !== null && typeof example === 'object') {
    const entries = Object.entries(example);
    return {
      type: 'object',
      properties: Object.fromEntries(entries.map(([key, value]) => [key, schemaOfExample(value)])),
      required: entries.map(([key]) => key),
    };
  }
  if (typeof example === 'number')
    return { type: Number.isInteger(example) ? 'integer' : 'number' };
  return { type: typeof example };
}

/** A JSON response documented by an example of it (and the schema of that example). */
export const jsonResponse = (description: string, example: unknown, schema?: JsonSchema) => ({
  description,
  content: { 'application/json': { schema: schema ?? schemaOfExample(example), example } },
});

/** A keyset page of `model` (`{ items, nextCursor? }`), with an example of one item. */
export const pageResponse = (
  description: string,
  model: new (...args: never[]) => unknown,
  item: unknown,
) =>
  jsonResponse(
    description,
    { items: [item], nextCursor: 'WyJwcmVzcy0wNyJd' },
    {
      type: 'object',
      properties: {
        items: { type: 'array', items: { $ref: getSchemaPath(model) } },
        nextCursor: {
          type: 'string',
          description: 'Pass as `cursor` for the next page; absent on the last page',
        },
      },
      required: ['items'],
    },
  );

/** Examples the documents of several operations share. */
export const EXAMPLES = {
  job: {
    jobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
    kind: 'update',
    clientId: 'press-07',
    status: 'InProgress',
    phase: 'pulling',
    targetVersion: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    requestedAt: '2026-11-23T10:00:05.123Z',
    dispatchedAt: '2026-11-23T10:00:05.201Z',
  },
  rolledBackJob: {
    jobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
    kind: 'update',
    clientId: 'press-07',
    status: 'RolledBack',
    phase: 'rolled_back',
    targetVersion: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    fromVersion: '2.0.0',
    reportedVersion: '2.0.0',
    rollback: { reason: 'the new container exited with code 1' },
    evidence: {
      workloadLog: [
        'opc-core 2.1.0 [good]: connecting to opc.tcp://plc-7:4840 password=[REDACTED]',
        'opc-core 2.1.0 [good]: fatal: PLC refused the session, exiting',
      ],
      agentLog: [
        '2026-11-23T10:01:12.004Z info update job transition from=verifying to=rolling_back event=STEP_FAILED reason="unhealthy: the new container exited with code 1"',
        '2026-11-23T10:01:12.031Z warn removing the failed new container container=5f0c2a',
        '2026-11-23T10:01:13.310Z info update job transition from=rolling_back to=rolled_back event=ROLLED_BACK',
      ],
      truncated: false,
    },
    requestedAt: '2026-11-23T10:00:05.123Z',
    dispatchedAt: '2026-11-23T10:00:05.201Z',
    startedAt: '2026-11-23T10:00:05.480Z',
    finishedAt: '2026-11-23T10:01:13.310Z',
  },
  client: {
    clientId: 'press-07',
    labels: { line: 'A' },
    status: 'Updating',
    presence: 'online',
    version: { desired: '2.1.0', reported: '2.0.0' },
    config: { desired: 3, applied: 3 },
    updateJobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
    registeredAt: '2026-11-01T08:00:00.000Z',
  },
  event: {
    revision: 0,
    type: 'ClientRegistered',
    data: { clientId: 'press-07', labels: { line: 'A' } },
    metadata: { actor: 'alice@example.com', tenantId: 'acme', correlationId: 'c0ffee00-1' },
    recordedAt: '2026-11-01T08:00:00.000Z',
  },
};
