// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworkImports = {
  patterns: [
    {
      group: ['@nestjs/*', 'typeorm', 'pg', 'mqtt', 'dockerode', 'aedes', 'express'],
      message:
        'Domain logic and shared contracts stay framework-free: import this in an adapter instead.',
    },
  ],
};

/**
 * The event store's public entry points are its port, `/postgres`, `/pglite` and `/testing`:
 * anything deeper is the adapter's inside (libs/event-store/README.md). Tests may use the
 * testing helpers' files.
 */
const eventStoreInternals = (allowed) => ({
  group: [
    '@opcfleet/event-store/**',
    ...['postgres', 'pglite', 'testing', ...allowed].map(
      (path) => `!@opcfleet/event-store/${path}`,
    ),
  ],
  message:
    'Import the event store through its public entry points (@opcfleet/event-store, /postgres, /pglite, /testing), not its internals.',
});
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts'];

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
      'no-restricted-imports': ['error', { patterns: [eventStoreInternals(['testing/*'])] }],
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
