import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { STANDARD_ERROR_NAMES, STANDARD_ERRORS } from './api-docs';

/**
 * The OpenAPI document of the service, as /docs serves it and `npm run api:lint` checks it:
 * every operation documents itself with ApiEndpoint (./api-docs.ts).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('opcfleet device management')
      .setDescription(
        'Update and configure fleets of OPC edge clients. Every job is an event stream. ' +
          'Every route under /api/v1 needs a bearer JWT (claims `sub`, `tenant`, `roles`, `exp`); ' +
          "every query is scoped to the token's tenant, and another tenant's ids answer 404. " +
          'Errors share one body: `{ statusCode, error, message, fieldErrors? }`.',
      )
      .setVersion('1')
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/', 'This service (the API is served under /api/v1)')
      .addBearerAuth()
      .addTag('clients', 'Registration, device credentials, updates and config changes')
      .addTag('jobs', 'Jobs of every kind, their events and live changes')
      .addTag('rollouts', 'One update for many clients, in waves')
      .addTag('releases', 'The version catalogue: immutable releases, pinned by digest')
      .addTag('audit', 'Every event of the tenant: search and export')
      .addTag('alerts', 'Webhooks for failed jobs and halted rollouts, and their delivery log')
      .addTag('overview', 'The fleet in numbers')
      .addTag('operations', 'Health of the service')
      .addTag('development', 'Development sign-in (embedded development key only)')
      .build(),
  );
  return shareStandardErrors(document);
}

/**
 * The standard errors (ApiEndpoint gives every operation the same ones) become one response
 * each in `components.responses`, referred to by every operation: the document, which the
 * Swagger UI page also inlines, is half the size.
 */
function shareStandardErrors(document: OpenAPIObject): OpenAPIObject {
  const shared: Record<string, unknown> = {};
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as Array<{
      responses?: Record<string, { description?: string }>;
    }>) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const standard = status as unknown as keyof typeof STANDARD_ERRORS;
        if (response.description !== STANDARD_ERRORS[standard]) continue;
        const name = STANDARD_ERROR_NAMES[standard];
        shared[name] ??= response;
        operation.responses![status] = { $ref: `#/components/responses/${name}` } as never;
      }
    }
  }
  document.components = { ...document.components, responses: shared as never };
  return document;
}
