import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { forbiddenAddress } from './webhook-url';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

/** What one attempt of a delivery came to. */
export interface AttemptResult {
  ok: boolean;
  /** The receiver's status; absent when none came (refused, timed out, forbidden address). */
  statusCode?: number;
  error?: string;
}

export interface WebhookPost {
  url: string;
  secret: string;
  deliveryId: string;
  /** The JSON body, signed as sent. */
  body: string;
}

/** Bytes of a response body read at most (kept for nothing but a short error); the rest is cut. */
const RESPONSE_BYTES = 1_024;

/**
 * A name lookup that refuses link-local and unspecified addresses, so a name cannot lead a
 * delivery to a metadata service however it resolves (the URL's check runs only on literals).
 */
function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options }, (error, address, family) => {
    if (error) return callback(error, address as string, family);
    const addresses: string[] = Array.isArray(address)
      ? (address as LookupAddress[]).map((entry) => entry.address)
      : [address as string];
    const bad = addresses.find(forbiddenAddress);
    if (bad) {
      return callback(
        Object.assign(new Error(`${hostname} resolves to ${bad}, a forbidden address`), {
          code: 'EFORBIDDENADDRESS',
        }),
        address as string,
        family,
      );
    }
    callback(null, address as string, family);
  });
}

/**
 * One POST of a delivery: signed now, within `timeoutMs` from connecting to the end of the
 * answer, without following redirects; a 2xx is a success, anything else a failure. Never
 * throws.
 */
export function postWebhook(
  post: WebhookPost,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(post.url);
    } catch {
      return finish({ ok: false, error: 'invalid URL' });
    }
    const options: RequestOptions = {
      method: 'POST',
      lookup: guardedLookup as RequestOptions['lookup'],
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(post.body),
        'User-Agent': 'opcfleet-alerts/1',
        [SIGNATURE_HEADER]: signatureHeader(post.secret, post.body, now() / 1000),
        [IDEMPOTENCY_HEADER]: post.deliveryId,
      },
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, options, (response) => {
      const statusCode = response.statusCode ?? 0;
      let read = 0;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        if (read < RESPONSE_BYTES) chunks.push(chunk.subarray(0, RESPONSE_BYTES - read));
        read += chunk.length;
        if (read >= RESPONSE_BYTES) {
          response.destroy();
          done();
        }
      });
      const done = () => {
        const ok = statusCode >= 200 && statusCode < 300;
        const text = Buffer.concat(chunks).toString('utf8').slice(0, 200);
        finish(
          ok ? { ok, statusCode } : { ok, statusCode, error: `HTTP ${statusCode} ${text}`.trim() },
        );
      };
      response.on('end', done);
      response.on('error', done);
      response.on('close', done);
    });
    const deadline = setTimeout(() => {
      request.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error: Error) => finish({ ok: false, error: error.message }));
    request.end(post.body);
  });
}
