import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The agent as one file for devices (`npm run build:agent` -> dist/agent/opcfleet-agent.cjs):
 * the CLI with every dependency inlined, run by the Node.js the device has. dockerode's ssh://
 * transport (ssh2, a native addon) is left out: the agent talks to the engine over its socket.
 */
export default defineConfig({
  root: repo,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^@opcfleet\/contracts(.*)$/, replacement: `${repo}libs/contracts/src$1` },
      { find: /^@opcfleet\/tracing$/, replacement: `${repo}libs/tracing/src` },
      { find: /^ssh2$/, replacement: `${here}no-ssh2.cjs` },
    ],
  },
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: `${repo}edge-agent/src/cli/main.ts`,
    outDir: `${repo}dist/agent`,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      output: {
        format: 'cjs',
        entryFileNames: 'opcfleet-agent.cjs',
        codeSplitting: false,
      },
    },
  },
});
