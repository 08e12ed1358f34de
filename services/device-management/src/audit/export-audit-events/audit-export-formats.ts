import type { AuditEventDto } from '../audit-event.dto';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPE_OF: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** The CSV columns, in order; `data` is the event's data as JSON. */
export const CSV_COLUMNS = [
  'recordedAt',
  'eventId',
  'type',
  'subjectKind',
  'subjectId',
  'revision',
  'actor',
  'correlationId',
  'causationId',
  'data',
] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or surrounding
 * spaces, quotes doubled. A text starting with `=`, `+`, `-`, `@`, a tab or a carriage return
 * would be run as a formula by a spreadsheet (CSV injection): it gets a leading `'`, which
 * spreadsheets show as text, and is quoted.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$|^'/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvRow(event: AuditEventDto): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | undefined> = {
    recordedAt: event.recordedAt,
    eventId: event.eventId,
    type: event.type,
    subjectKind: event.subjectKind,
    subjectId: event.subjectId,
    revision: event.revision,
    actor: event.actor,
    correlationId: event.correlationId,
    causationId: event.causationId,
    data: JSON.stringify(event.data ?? null),
  };
  return `${CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`;
}

/** One line of NDJSON: JSON.stringify escapes line breaks inside strings. */
export const ndjsonLine = (event: AuditEventDto): string => `${JSON.stringify(event)}\n`;

/** The export's text, a chunk per page (a CSV starts with its header). */
export async function* exportChunks(
  format: ExportFormat,
  pages: AsyncIterable<AuditEventDto[]>,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  const line = format === 'csv' ? csvRow : ndjsonLine;
  for await (const page of pages) yield page.map(line).join('');
}
