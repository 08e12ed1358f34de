import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { ApiApp } from '../support/api-app';

const ROOT = resolve(__dirname, '../../../..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Operation {
  summary?: string;
  description?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

/** Runs `npm run api:lint`'s script on a document: its exit code and report. */
function lint(document: object): Promise<{ code: number; output: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'openapi-lint-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(document));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'infra/scripts/api-lint.mjs'), file],
      { cwd: ROOT },
      (error, stdout) => done({ code: error ? Number(error.code) : 0, output: stdout }),
    );
  });
}

let api: ApiApp;
type Response = Operation['responses'][string] & { $ref?: string };
let document: {
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, Response> };
};
/** A response, or the shared one it refers to. */
const resolved = (response: Response): Response =>
  response.$ref ? document.components.responses![response.$ref.split('/').pop()!] : response;

beforeAll(async () => {
  // Development sign-in mounted too: the document of `npm start` has every route.
  api = await ApiApp.start({ devSignIn: true });
  const response = await request(api.server).get('/docs-json');
  expect(response.status).toBe(200);
  document = response.body;
});
afterAll(() => api?.stop());

const operations = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );

describe('the OpenAPI document at /docs-json', () => {
  it('passes Redocly with the recommended rules: no error, no warning', async () => {
    const { code, output } = await lint(document);
    expect(output).toContain('0 error(s), 0 warning(s)');
    expect(code).toBe(0);
  });

  it('fails the linter when an operation loses its summary or its errors', async () => {
    const broken = structuredClone(document);
    const health = broken.paths['/health'].get;
    delete health.summary;
    for (const status of Object.keys(health.responses)) {
      if (status.startsWith('4')) delete health.responses[status];
    }
    const { code, output } = await lint(broken);
    expect(code).toBe(1);
    expect(output).toContain('operation-summary');
    expect(output).toContain('operation-4xx-response');
  });

  it('gives every operation a summary, a description, its security and the error body', () => {
    expect(operations().length).toBeGreaterThan(20);
    for (const { name, operation } of operations()) {
      expect({ name, summary: !!operation.summary, description: !!operation.description }).toEqual({
        name,
        summary: true,
        description: true,
      });
      expect({ name, security: Array.isArray(operation.security) }).toEqual({
        name,
        security: true,
      });
      const errors = Object.entries(operation.responses).filter(([status]) => status >= '400');
      expect({ name, errors: errors.length > 0 }).toEqual({ name, errors: true });
      for (const [status, response] of errors) {
        if (name === 'GET /health' && status === '503') continue; // the health body itself
        expect({
          name,
          status,
          schema: resolved(response).content?.['application/json']?.schema?.$ref,
        }).toEqual({ name, status, schema: '#/components/schemas/ErrorResponseDto' });
      }
    }
  });

  it('marks the public routes public and the others as needing a bearer token', () => {
    const security = Object.fromEntries(
      operations().map(({ name, operation }) => [name, operation.security]),
    );
    expect(security['GET /health']).toEqual([]);
    expect(security['POST /api/v1/dev/sign-in']).toEqual([]);
    expect(security['GET /api/v1/jobs/{id}']).toEqual([{ bearer: [] }]);
  });
});
