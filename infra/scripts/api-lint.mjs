#!/usr/bin/env node
// `npm run api:lint [document.json]`: lints an OpenAPI document with Redocly CLI and the
// recommended rules of redocly.yaml, and fails on any error or warning (Redocly itself fails on
// errors only). Without an argument it writes the service's document first (openapi.cli.js of
// the build, which assembles the app in preview mode: no database or broker needed).
// test/api/openapi-lint.spec.ts runs it on the document the running service serves.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

let document = process.argv[2];
if (!document) {
  document = join(mkdtempSync(join(tmpdir(), 'opcfleet-openapi-')), 'openapi.json');
  execFileSync(
    process.execPath,
    [join(root, 'dist/services/device-management/src/openapi.cli.js'), document],
    { stdio: 'inherit' },
  );
}

let output;
try {
  output = execFileSync(
    join(root, 'node_modules/.bin/redocly'),
    ['lint', '--config', join(root, 'redocly.yaml'), '--format=json', document],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
      // A check, not a client of Redocly's services: no telemetry, no update check.
      env: {
        ...process.env,
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
        REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
      },
    },
  );
} catch (error) {
  // Exit code 1 with a report on stdout: errors were found; anything else is a failure to run.
  if (!error.stdout) throw error;
  output = error.stdout;
}
const report = JSON.parse(output);
for (const problem of report.problems) {
  const where = problem.location?.map((location) => location.pointer).join(', ') ?? '';
  console.log(`${problem.severity} ${problem.ruleId}: ${problem.message} ${where}`);
}
const { errors, warnings } = report.totals;
console.log(
  `${document}: ${errors} error(s), ${warnings} warning(s) (Redocly ${report.version}, recommended)`,
);
process.exit(errors + warnings === 0 ? 0 : 1);
