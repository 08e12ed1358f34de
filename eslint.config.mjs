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
    // Dependencies point inward: the boundary is enforced here, not by convention.
    files: [
      'libs/contracts/**/*.ts',
      '**/domain/**/*.ts',
      'edge-agent/src/update-machine/**/*.ts',
      'edge-agent/src/config-apply/**/*.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', frameworkImports] },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
