import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeContainerRuntimeContract } from '../src/container-runtime/testing/container-runtime-contract';
import { DockerodeRuntime } from '../src/container-runtime/dockerode-runtime';
import { EngineSocketProxy } from './engine/engine-socket-proxy';
import { REGISTRY, WorkloadFixture, engine, registryDigest } from './engine/workload-fixture';

const run = promisify(execFile);

jest.setTimeout(120_000);

/** The dockerode adapter against Podman's Docker API and the local registry. */
describeContainerRuntimeContract('dockerode on Podman', async () => {
  const fixture = new WorkloadFixture();
  // The runtime under test reaches Podman through a socket the suite can cut.
  const proxy = await EngineSocketProxy.start();
  await fixture.stage('1.0.0', '2.0.0', 'crash-at-start');
  const docker = engine();
  const created: string[] = [];
  let names = 0;
  return {
    runtime: new DockerodeRuntime({ dockerHost: proxy.dockerHost, insecureRegistries: [REGISTRY] }),
    images: {
      v1: fixture.image('1.0.0'),
      v2: fixture.image('2.0.0'),
      crashing: fixture.image('crash-at-start'),
      missing: fixture.image('9.9.9'),
    },
    repository: fixture.repository,
    registryDigest,
    runContainer: async (name, image) => {
      await run('podman', ['pull', '-q', '--tls-verify=false', image]);
      const container = await docker.createContainer({
        name,
        Image: image,
        Env: ['SITE=plant-7'],
        Labels: { 'com.example.site': 'plant-7' },
      });
      created.push(container.id);
      await container.start();
      return container.id;
    },
    succeedingCommand: ['/bin/busybox', 'true'],
    uniqueName: (purpose) => `${fixture.containerName}-${purpose}-${++names}`,
    cutEngine: () => proxy.cut(),
    restoreEngine: () => proxy.restore(),
    cutEngineDuringNextPull: () => proxy.cutDuringNextPull(),
    dispose: async () => {
      await proxy.close();
      await fixture.cleanup();
    },
  };
});
