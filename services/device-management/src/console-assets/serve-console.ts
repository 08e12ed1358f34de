import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';

/**
 * The console's policy: its own scripts and styles only (nothing inline, no eval), API calls
 * and server-sent events to this origin only (and to the OpenID provider's origin, when it
 * signs in there: discovery, token and refresh requests), never framed.
 */
export function consoleContentSecurityPolicy(oidcIssuer?: string): string {
  const connect = ["'self'", ...(oidcIssuer ? [new URL(oidcIssuer).origin] : [])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const securityHeaders = (oidcIssuer?: string): Record<string, string> => ({
  'Content-Security-Policy': consoleContentSecurityPolicy(oidcIssuer),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
});

/** Where `npm run build:console` puts the console: `dist/console` at the repository root. */
export function findConsoleDir(from: string = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'console');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Serves the built console at `/` beside the API (`/api/v1` and the rest keep their routes):
 * index.html never cached (it names the current assets), the content-hashed files under
 * /assets/ cached for a year as immutable. The console routes with the URL hash, so no other
 * path needs index.html. Without a build (tests of the API alone) nothing is mounted.
 */
export function serveConsole(
  app: NestExpressApplication,
  dir: string | undefined,
  logger: Logger,
  oidcIssuer?: string,
): boolean {
  if (!dir) {
    logger.debug('no console build (dist/console): the console is not served');
    return false;
  }
  const indexFile = join(dir, 'index.html');
  const headers = securityHeaders(oidcIssuer);
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    const path = (request.url ?? '').split('?')[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isIndexPath(path)) {
      next();
      return;
    }
    readFile(indexFile).then(
      (html) => {
        response.writeHead(200, {
          ...headers,
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': html.byteLength,
          'Cache-Control': 'no-cache',
        });
        response.end(request.method === 'HEAD' ? undefined : html);
      },
      () => next(),
    );
  });
  app.useStaticAssets(join(dir, 'assets'), {
    prefix: '/assets/',
    index: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    },
  });
  return true;
}

const isIndexPath = (path: string) => path === '/' || path === '/index.html';
