import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root, from either the TypeScript source or its build under dist/. */
export const REPO_ROOT = resolve(
  __dirname,
  __dirname.includes('/dist/') ? '../../../..' : '../../..',
);

/** Built entry points: the suite runs the parts as `npm run build` leaves them. */
export const DIST = join(REPO_ROOT, 'dist');

export function builtScript(relative: string): string {
  const file = join(DIST, relative);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` before the e2e suite`);
  }
  return file;
}

/** Every child's log of one run sits here; kept after the run for a post-mortem. */
export const E2E_LOG_ROOT = join(REPO_ROOT, '.tmp', 'e2e');

export const PKI_DIR = process.env.E2E_PKI_DIR ?? join(REPO_ROOT, 'infra', 'pki', 'out');
