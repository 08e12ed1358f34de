import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carried it, with its resource's service name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

type OtlpValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
};
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
};
type OtlpExport = {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
};

/**
 * An OTLP/HTTP trace receiver in the test's own process: `POST /v1/traces` with the JSON
 * encoding (what @opentelemetry/exporter-trace-otlp-http sends), kept in memory. Point
 * `OTEL_EXPORTER_OTLP_ENDPOINT` at `endpoint`; `waitFor` resolves when an export makes its
 * condition true (no polling interval, no sleeps), or fails at its deadline saying what came.
 */
export class OtlpReceiver {
  readonly received: ReceivedSpan[] = [];
  /** Exports that could not be read, with why: a test should expect none. */
  readonly refused: string[] = [];
  private readonly waiters = new Set<() => void>();

  private readonly server: Server;
  private port = 0;

  private constructor() {
    this.server = createServer((request, response) => {
      void this.handle(request).then(
        (status) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(status === 200 ? '{}' : '{"error":"unreadable"}');
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
    });
  }

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.received.filter((span) => span.traceId === traceId);
  }

  /** Resolves with the received spans once `done` holds for them; rejects after `timeoutMs`. */
  waitFor(
    what: string,
    done: (spans: ReceivedSpan[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<ReceivedSpan[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.received)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.received);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const names = this.received.map((s) => `${s.service}: ${s.name} (${s.traceId})`);
        reject(new Error(`no ${what} within ${timeoutMs} ms; received:\n  ${names.join('\n  ')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      this.refused.push(`${request.method} ${request.url}`);
      return 404;
    }
    try {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        throw new Error(`content-type ${request.headers['content-type']}, not JSON`);
      }
      this.received.push(...spansOf(JSON.parse(body.toString('utf8')) as OtlpExport));
    } catch (error) {
      this.refused.push((error as Error).message);
      return 400;
    }
    for (const waiter of [...this.waiters]) waiter();
    return 200;
  }
}

function spansOf(request: OtlpExport): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service: String(resource['service.name']),
        traceId: span.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId && { parentSpanId: span.parentSpanId }),
        name: span.name,
        kind: span.kind ?? 0,
        attributes: attributesOf(span.attributes),
        statusCode: span.status?.code ?? 0,
        startTimeUnixNano: span.startTimeUnixNano,
        endTimeUnixNano: span.endTimeUnixNano,
      })),
    );
  });
}

function attributesOf(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue),
    ]),
  );
}
