import type { Config } from 'jest';

/**
 * One jest project per package. TypeScript is transformed by @swc/jest: it only strips
 * types (no type-checking; `npm run typecheck` does that once), which makes a cold run
 * several times faster than ts-jest on this 2-core machine.
 */
const swcTransform: Config['transform'] = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: {
          legacyDecorator: true,
          decoratorMetadata: true,
          useDefineForClassFields: false,
        },
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};

/**
 * The OTLP exporter loads `http` with a dynamic `import()`, which jest's module sandbox refuses
 * without --experimental-vm-modules: its files are compiled to CommonJS like ours (`require`).
 */
const OTLP_EXPORTER_BASE = '@opentelemetry/otlp-exporter-base';
const otlpExporterTransform: Config['transform'] = {
  [`^.+/${OTLP_EXPORTER_BASE}/.+\\.js$`]: [
    '@swc/jest',
    { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};

/** Maps the `@opcfleet/*` path aliases of tsconfig.json for a project `up` levels below the root. */
function libAliases(up: string): Record<string, string> {
  return {
    '^@opcfleet/contracts$': `<rootDir>/${up}libs/contracts/src`,
    '^@opcfleet/contracts/(.*)$': `<rootDir>/${up}libs/contracts/src/$1`,
    '^@opcfleet/event-store$': `<rootDir>/${up}libs/event-store/src`,
    '^@opcfleet/event-store/(.*)$': `<rootDir>/${up}libs/event-store/src/$1`,
    '^@opcfleet/tracing$': `<rootDir>/${up}libs/tracing/src`,
  };
}

/** Integration suites talk to real PostgreSQL, brokers and Podman: allow them time per test. */
const INTEGRATION_TEST_TIMEOUT_MS = 60_000;

function project(displayName: string, rootDir: string, extra: Partial<Config> = {}): Config {
  const depth = rootDir.split('/').length;
  const up = '../'.repeat(depth);
  return {
    displayName,
    rootDir: `<rootDir>/${rootDir}`,
    testEnvironment: 'node',
    transform: { ...swcTransform, ...otlpExporterTransform },
    transformIgnorePatterns: [`/node_modules/(?!${OTLP_EXPORTER_BASE}/)`],
    moduleNameMapper: libAliases(up),
    testMatch: ['<rootDir>/**/*.spec.ts'],
    ...extra,
  };
}

const config: Config = {
  // A global option: jest ignores testTimeout inside a project's configuration.
  testTimeout: INTEGRATION_TEST_TIMEOUT_MS,
  // Two suites at a time on the 2-core machine (jest's default would be one): most of the slow
  // suites wait on Podman, brokers and child processes rather than compute, and each uses its
  // own database, broker port, containers and image repository. Every suite passed this way
  // with the machine's load average at 11.
  maxWorkers: 2,
  projects: [
    project('contracts', 'libs/contracts'),
    project('event-store', 'libs/event-store'),
    project('device-management', 'services/device-management'),
    project('broker', 'services/broker'),
    project('edge-agent', 'edge-agent'),
    project('e2e', 'test/e2e'),
    // The console's UI logic (plain .ts) and its browser stories (test/, real Chromium).
    project('console', 'services/console'),
    // Deployment files (alert rules, dashboards, manifests, gateway) checked against the real code.
    project('infra', 'infra'),
  ],
};

export default config;
