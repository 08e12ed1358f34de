import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint } from '../../http/api-docs';
import { APP_LOGGER } from '../../observability/app-logger';
import { checkTimeRange } from '../audit-filter';
import { auditFilterOf } from '../audit-filter.request.dto';
import { AuditTrail } from '../audit-trail';
import { CONTENT_TYPE_OF, exportChunks, type ExportFormat } from './audit-export-formats';
import { writeWithDigest } from './digest-writer';
import { ExportAuditEventsRequestDto } from './export-audit-events.request.dto';

/** Events read from PostgreSQL at a time: what the export holds in memory at most, about. */
export const EXPORT_PAGE_SIZE = 1_000;
export const DIGEST_TRAILER = 'X-Content-SHA256';

const NDJSON_EXAMPLE =
  '{"eventId":"5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19","type":"UpdateRequested","recordedAt":"2026-11-23T10:00:05.123Z","subjectKind":"update-job","subjectId":"0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11","revision":0,"actor":"alice@example.com","correlationId":"3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77","data":{"clientId":"press-07","targetVersion":"2.1.0"}}\n';
const CSV_EXAMPLE =
  'recordedAt,eventId,type,subjectKind,subjectId,revision,actor,correlationId,causationId,data\r\n' +
  '2026-11-23T10:00:05.123Z,5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19,UpdateRequested,update-job,0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11,0,alice@example.com,3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77,,"{""clientId"":""press-07"",""targetVersion"":""2.1.0""}"\r\n';

@ApiTags('audit')
@Controller('api/v1/audit/events')
export class ExportAuditEventsHttpController {
  constructor(
    private readonly trail: AuditTrail,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('export')
  @ApiEndpoint({
    summary: 'Export the audit trail (NDJSON or CSV)',
    description:
      'The events the search would return with the same filters, all of them, streamed from ' +
      'PostgreSQL page by page in bounded memory (a slow reader slows the reading down). ' +
      `The body is chunked; its SHA-256 (hex) follows it as the HTTP trailer \`${DIGEST_TRAILER}\` ` +
      '(announced in `Trailer`) and in the service log. Without the trailer, the export did not ' +
      'complete. To check it: `curl -sS -D headers.txt -o audit.ndjson -H "Authorization: Bearer $TOKEN" ' +
      "'…/api/v1/audit/events/export?format=ndjson'`, then compare `sha256sum audit.ndjson` with the " +
      `\`${DIGEST_TRAILER}\` line curl wrote to headers.txt. CSV: RFC 4180 quoting, and a text ` +
      "starting with = + - @ is prefixed with ' so that spreadsheets do not run it.",
    access: 'audit',
    errors: {
      400: 'Every failing query field: an unknown event type or format, a date that is not ISO-8601, an empty time range.',
    },
  })
  @ApiOkResponse({
    description: `The events, oldest or newest first; then the trailer \`${DIGEST_TRAILER}\`.`,
    headers: {
      Trailer: {
        description: `Announces the trailer \`${DIGEST_TRAILER}\`: the hex SHA-256 of the body`,
        schema: { type: 'string', example: DIGEST_TRAILER },
      },
      'Content-Disposition': {
        description: 'A file name for the download',
        schema: {
          type: 'string',
          example: 'attachment; filename="audit-2026-11-23T10-00-05Z.ndjson"',
        },
      },
    },
    content: {
      [CONTENT_TYPE_OF.ndjson]: {
        schema: { type: 'string', description: 'One AuditEventDto as JSON per line' },
        example: NDJSON_EXAMPLE,
      },
      [CONTENT_TYPE_OF.csv]: {
        schema: { type: 'string', description: 'A header row, then one row per event' },
        example: CSV_EXAMPLE,
      },
    },
  })
  async export(
    @Query() query: ExportAuditEventsRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request & { id?: unknown },
    @Res() response: Response,
  ): Promise<void> {
    const format: ExportFormat = query.format ?? 'ndjson';
    const filter = auditFilterOf(principal.tenantId, query);
    checkTimeRange(filter.from, filter.to);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+/, '');
    const headers = {
      'Content-Type': CONTENT_TYPE_OF[format],
      'Content-Disposition': `attachment; filename="audit-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    };
    if (request.method === 'HEAD') return void response.status(200).set(headers).end();
    const pages = this.trail.pages(await this.trail.queryOf(filter), EXPORT_PAGE_SIZE);
    // The first page before the status line: a database that cannot be reached is still a 503.
    const first = await pages.next();
    // HTTP/1.0 has no chunked encoding, hence no trailer: the log keeps the digest.
    const trailer = request.httpVersion === '1.0' ? undefined : DIGEST_TRAILER;
    response.status(200).set(trailer ? { ...headers, Trailer: trailer } : headers);
    const log = this.logger.child({
      correlationId: request.id,
      tenantId: principal.tenantId,
      actor: principal.subject,
      format,
    });
    try {
      const written = await writeWithDigest(
        exportChunks(
          format,
          (async function* () {
            if (!first.done) yield first.value;
            yield* pages;
          })(),
        ),
        response,
        trailer,
      );
      if (written.complete) {
        log.info({ bytes: written.bytes, sha256: written.sha256 }, 'audit export sent');
      } else {
        log.warn({ bytes: written.bytes }, 'audit export abandoned by the client');
      }
    } catch (error) {
      // Mid-body: the status is sent. Cutting the connection leaves the client without the trailer.
      log.error({ err: error }, 'audit export failed');
      response.destroy(error as Error);
    }
  }
}
