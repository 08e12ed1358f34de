/**
 * `npm run api:lint` writes the OpenAPI document with this, then lints it: the app's modules
 * are assembled in preview mode (nothing connects, no database or broker is needed), so the
 * document is exactly the one /docs-json serves.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app.config';
import { buildOpenApiDocument } from './http/openapi-document';

async function main(output: string | undefined): Promise<void> {
  const config = loadAppConfig(
    {
      // Never connected to: preview mode creates no provider.
      DATABASE_URL: 'postgres://preview@127.0.0.1:1/preview',
      JWT_SECRET: 'preview-mode-key-never-used-to-sign-anything',
      // Every route, the development sign-in included.
    },
    { devSignIn: true },
  );
  const app = await NestFactory.create(AppModule.forRoot(config, pino({ level: 'silent' })), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const text = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  if (output) writeFileSync(output, text);
  else process.stdout.write(text);
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
