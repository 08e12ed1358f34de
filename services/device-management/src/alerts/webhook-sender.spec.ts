import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-sender';
import { verifySignature } from './webhook-signature';

/** A receiver on 127.0.0.1 answering with `handler`. */
async function serve(handler: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

const post = (url: string) => ({
  url,
  secret: 'whsec_test',
  deliveryId: '0e8f6c2a-4b1d-4c3e-8f5a-6b7c8d9e0f1a',
  body: '{"kind":"job.failed"}',
});

describe('postWebhook', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
          }),
      ),
    );
  });

  it('posts the body signed, with the delivery id, and takes a 2xx as a success', async () => {
    let seen: { headers: Record<string, unknown>; body: string } | undefined;
    const { url, server } = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen = { headers: req.headers, body };
        res.statusCode = 204;
        res.end();
      });
    });
    servers.push(server);
    expect(await postWebhook(post(url), 2_000)).toEqual({ ok: true, statusCode: 204 });
    expect(seen!.body).toBe('{"kind":"job.failed"}');
    expect(seen!.headers['opcfleet-delivery-id']).toBe('0e8f6c2a-4b1d-4c3e-8f5a-6b7c8d9e0f1a');
    const signature = String(seen!.headers['opcfleet-signature']);
    expect(verifySignature('whsec_test', seen!.body, signature, Date.now() / 1000)).toBe(true);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const { url, server } = await serve(() => undefined);
    servers.push(server);
    const started = Date.now();
    const result = await postWebhook(post(url), 300);
    expect(result).toEqual({ ok: false, error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reads no more than a KiB of an answer, and does not follow a redirect', async () => {
    const { url, server } = await serve((req, res) => {
      if (req.url === '/hook') {
        res.writeHead(500);
        // An endless answer: the sender stops reading it.
        const timer = setInterval(() => res.write('x'.repeat(64 * 1024)), 5);
        res.on('close', () => clearInterval(timer));
      } else {
        res.writeHead(302, { Location: 'http://169.254.169.254/' }).end();
      }
    });
    servers.push(server);
    const result = await postWebhook(post(url), 2_000);
    expect(result.ok).toBe(false);
    expect(result.statusCode).toBe(500);
    expect(result.error!.length).toBeLessThanOrEqual(220);
    const redirected = await postWebhook(post(url.replace('/hook', '/moved')), 2_000);
    expect(redirected).toMatchObject({ ok: false, statusCode: 302 });
  });

  it('answers a refused connection as a failure, never by throwing', async () => {
    const { url, server } = await serve(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const result = await postWebhook(post(url), 1_000);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
