import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The console bundle: served by device-management from dist/console (hashed file names, so
 * they can be cached as immutable), with no inline script (the service's CSP forbids them).
 */
export default defineConfig({
  root,
  base: '/',
  resolve: {
    alias: [{ find: /^@opcfleet\/contracts(.*)$/, replacement: `${repo}libs/contracts/src$1` }],
  },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: `${repo}dist/console`,
    emptyOutDir: true,
    sourcemap: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
});
