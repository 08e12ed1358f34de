import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { MAX_MESSAGE_BYTES } from '@opcfleet/contracts';
import type { IncomingMessage } from 'node:http';
import {
  forbiddenKeyPaths,
  MAX_JSON_DEPTH,
  mayHoldNul,
  nestsDeeperThan,
  nulCharacterPaths,
} from './json-shape';
import { invalidInput } from './validation.pipe';

/**
 * Limit of a request body unless the route says otherwise (see BodyLimit): the largest
 * legitimate body elsewhere is a config change, whose settings travel to the device in one
 * MQTT message of at most MAX_MESSAGE_BYTES.
 */
export const DEFAULT_BODY_LIMIT_BYTES = MAX_MESSAGE_BYTES;

/**
 * Reads the body of a request as JSON, refusing before parsing what is not JSON (415), too
 * big (413) or too deep (400), then what is not an object, holds a forbidden key or a NUL
 * character (400).
 * Resolves undefined for a request without a body.
 */
export async function readJsonBody(
  request: IncomingMessage,
  limitBytes: number,
  route: string,
): Promise<Record<string, unknown> | undefined> {
  if (!hasBody(request)) return undefined;
  refuseUnlessJson(request);
  const raw = await readRaw(request, limitBytes, route);
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw badBody('the request body is not valid UTF-8');
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw badBody(`the request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badBody(`the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badBody('the request body must be a JSON object');
  }
  refuseForbiddenKeys(body);
  if (mayHoldNul(text)) {
    const paths = nulCharacterPaths(body);
    if (paths.length > 0) {
      throw invalidInput(
        paths.map((path) => ({ path, message: 'holds a NUL character (U+0000)' })),
      );
    }
  }
  return body as Record<string, unknown>;
}

/** 400 naming every `__proto__`, `constructor` or `prototype` key in a body or query. */
export function refuseForbiddenKeys(value: unknown): void {
  const paths = forbiddenKeyPaths(value);
  if (paths.length > 0) {
    throw invalidInput(paths.map((path) => ({ path, message: 'is a forbidden key' })));
  }
}

/** A length of 0 is no body; chunked transfer is a body of unknown length. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (!!length && length !== '0');
}

function refuseUnlessJson(request: IncomingMessage): void {
  const contentType = request.headers['content-type'] ?? '';
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim());
  const charset = parameters
    .map((parameter) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(parameter)?.[1])
    .find((value) => value !== undefined);
  if (
    mediaType.toLowerCase() !== 'application/json' ||
    (charset !== undefined && charset.toLowerCase() !== 'utf-8')
  ) {
    throw new UnsupportedMediaTypeException({
      error: 'unsupported_media_type',
      message: `request bodies must be JSON: Content-Type application/json (charset utf-8 if given), not "${contentType.slice(0, 100)}"`,
    });
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeException({
      error: 'unsupported_media_type',
      message: `Content-Encoding "${encoding.slice(0, 100)}" is not accepted: send application/json uncompressed`,
    });
  }
}

/**
 * Collects the body up to `limitBytes`. Over it, stops collecting at once and answers 413;
 * the rest of the body is read and discarded, so the connection stays usable.
 */
function readRaw(request: IncomingMessage, limitBytes: number, route: string): Promise<Buffer> {
  const tooLarge = () =>
    new PayloadTooLargeException({
      error: 'payload_too_large',
      message: `the request body is larger than ${limitBytes} bytes, the limit of ${route}`,
    });
  if (Number(request.headers['content-length']) > limitBytes) {
    request.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else
        settle(() => {
          request.resume();
          reject(tooLarge());
        });
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, size)));
    const onError = (error: Error) =>
      settle(() => reject(badBody(`the request body could not be read: ${error.message}`)));
    const onClose = () =>
      settle(() => reject(badBody('the connection closed before the request body ended')));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

const badBody = (message: string) => new BadRequestException({ error: 'invalid_input', message });

const UTF8 = new TextDecoder('utf-8', { fatal: true });
