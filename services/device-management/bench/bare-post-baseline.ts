import http from 'node:http';
import { jwtVerify } from 'jose';
import { Pool } from 'pg';

/**
 * The least a POST that opens a job must do, as a bare Node HTTP server: verify the HS256 JWT,
 * parse and check the body, one INSERT committed on PostgreSQL, answer 202. `bench:api` runs
 * it beside the service at the same rate, so the service's latency reads as a ratio of what
 * this machine can do at all (the machine is noisy; absolute figures drift between runs).
 */
export async function serveBarePostBaseline(
  databaseUrl: string,
  secret: string,
): Promise<http.Server> {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bare_post_baseline (
       id bigserial PRIMARY KEY, tenant text NOT NULL, client_id text NOT NULL, body jsonb NOT NULL)`,
  );
  const key = new TextEncoder().encode(secret);
  const server = http.createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (typeof body.targetVersion !== 'string' || typeof body.image !== 'string') {
          return answer(400, { error: 'invalid_input' });
        }
        const clientId = request.url!.split('/')[4] ?? '';
        await pool.query(
          'INSERT INTO bare_post_baseline (tenant, client_id, body) VALUES ($1, $2, $3)',
          [payload.tenant, clientId, body],
        );
        answer(202, { accepted: true });
      })().catch(() => answer(401, { error: 'unauthorized' }));
    });
  });
  server.on('close', () => void pool.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
