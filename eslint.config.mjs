// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworkImports = {
  patterns: [
    {
      group: [
        '@nestjs/*',
        'typeorm',
        'pg',
        'mqtt',
        'dockerode',
        'aedes',
        'express',
        '@opentelemetry/*',
      ],
      message:
        'Domain logic and shared contracts stay framework-free: import this in an adapter instead (tracing: libs/tracing, whose adapter loads OpenTelemetry).',
    },
  ],
};

/**
 * The event store is reached through its root, `@opcfleet/event-store` (the port, and opening a
 * store): anything deeper is the adapter's inside (libs/event-store/README.md). Tests may also
 * name the adapters (`/postgres`, `/pglite`) and use the testing helpers.
 */
const eventStoreInternals = (allowed) => ({
  group: ['@opcfleet/event-store/**', ...allowed.map((path) => `!@opcfleet/event-store/${path}`)],
  message: 'Import the event store through @opcfleet/event-store, not its adapters or internals.',
});
const TEST_EVENT_STORE_PATHS = ['postgres', 'pglite', 'testing', 'testing/*'];
// Benchmarks set up databases with the testing helpers, as tests do.
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts', '**/bench/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['services/**/*.ts', 'edge-agent/**/*.ts'],
    ignores: testFiles,
    rules: { 'no-restricted-imports': ['error', { patterns: [eventStoreInternals([])] }] },
  },
  {
    files: testFiles.flatMap((glob) => [`services/${glob}`, `edge-agent/${glob}`]),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [eventStoreInternals(TEST_EVENT_STORE_PATHS)] },
      ],
    },
  },
  {
    // Dependencies point inward: the boundary is enforced here, not by convention.
    files: [
      'libs/contracts/**/*.ts',
      '**/domain/**/*.ts',
      'edge-agent/src/update-machine/**/*.ts',
      'edge-agent/src/config-apply/**/*.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: {
      // Replaces the rule above for these files, so it repeats the event-store boundary.
      'no-restricted-imports': [
        'error',
        { patterns: [...frameworkImports.patterns, eventStoreInternals([])] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
