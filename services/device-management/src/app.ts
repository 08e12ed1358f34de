import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { findConsoleDir, serveConsole } from './console-assets/serve-console';
import type { AppConfig } from './config/app.config';
import type { MessagingConfig } from './messaging/messaging.config';
import { discardBody } from './http/discard-body';
import { buildOpenApiDocument } from './http/openapi-document';
import type { Request, Response } from 'express';
import { httpsOptions, STRICT_TRANSPORT_SECURITY } from './http/https-options';
import { keepIdleConnectionsOpen } from './http/idle-connections';
import { requestLogging } from './http/request-logging';
import { ServiceMetrics } from './observability/service-metrics';
import { startTracing } from './observability/tracing';
import { requestTracing } from './http/request-tracing';

/**
 * Builds the HTTP application around AppModule: structured request logs carrying the
 * correlation id, request metrics, the OpenAPI document at /docs, the console at / (when built). Without `messaging` (no
 * MQTT_URL) nothing is dispatched or ingested; jobs still time out. Call `listen` on the result.
 */
export async function createApp(
  config: AppConfig,
  logger: Logger,
  messaging?: MessagingConfig,
): Promise<INestApplication> {
  // Before the app: the modules get the exporter (or NO_TRACING), and closing the app flushes it.
  const tracing = await startTracing(config.tracing, logger);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger, messaging, tracing),
    {
      logger: false,
      abortOnError: false,
      // Bodies are read by JsonBodyGuard: JSON only, with the limits of each route.
      bodyParser: false,
      // Nest's own type of httpsOptions lacks minVersion; node:https takes it.
      ...(config.http.tls && { httpsOptions: httpsOptions(config.http.tls) as object }),
    },
  );
  keepIdleConnectionsOpen(app.getHttpServer());
  if (config.http.tls) {
    app.use((_request: unknown, response: Response, next: () => void) => {
      response.setHeader('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
      next();
    });
  }
  app.use(requestLogging(logger, app.get(ServiceMetrics)));
  app.use(requestTracing(tracing));
  serveConsole(app, findConsoleDir(), logger, config.oidc?.issuer);
  const document = buildOpenApiDocument(app);
  // SwaggerModule's routes (/docs, /docs-json, /docs-yaml) are Express's, not Nest's.
  app.use((request: Request, response: Response, next: () => void) =>
    request.path.startsWith('/docs') ? discardBody(request, response, next) : next(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
