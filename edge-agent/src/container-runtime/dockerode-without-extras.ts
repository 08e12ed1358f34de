/**
 * dockerode loads two things at start-up that the agent never uses: ssh2 (for ssh:// engine
 * hosts, which the agent does not accept) and a gRPC session layer for BuildKit image builds.
 * Together they are about a seventh of the agent's resident memory on a device (see
 * `npm run bench:agent`), so they are put in the module cache as stubs that fail loudly if
 * ever called. Import this module before dockerode; under jest (its own module registry) it
 * changes nothing.
 */
function stubModule(resolvedPath: string, exports: unknown): void {
  require.cache[resolvedPath] ??= {
    id: resolvedPath,
    filename: resolvedPath,
    loaded: true,
    exports,
  } as NodeJS.Module;
}

function unused(what: string): never {
  throw new Error(`${what} is not available in the edge agent`);
}

try {
  const modem = require.resolve('docker-modem');
  stubModule(require.resolve('ssh2', { paths: [modem] }), {
    Client: class {
      constructor() {
        unused('an ssh:// engine host');
      }
    },
  });
  stubModule(require.resolve('dockerode/lib/session'), () => unused('a BuildKit session'));
} catch {
  // A dockerode without these modules: nothing to leave out.
}
