import { describeContainerRuntimeContract } from './container-runtime-contract';
import { FakeContainerRuntime } from './fake-container-runtime';

const REPOSITORY = 'registry.test/opc-core';
const image = (tag: string) => `${REPOSITORY}:${tag}`;

describeContainerRuntimeContract('the fake engine of the fast tests', async () => {
  const runtime = new FakeContainerRuntime();
  runtime.registry.set(image('1.0.0'), {
    behaviour: 'healthy',
    digest: `sha256:${'1'.repeat(64)}`,
  });
  runtime.registry.set(image('2.0.0'), {
    behaviour: 'healthy',
    digest: `sha256:${'2'.repeat(64)}`,
  });
  runtime.registry.set(image('crash'), { behaviour: 'crash', digest: `sha256:${'3'.repeat(64)}` });
  let names = 0;
  return {
    runtime,
    images: {
      v1: image('1.0.0'),
      v2: image('2.0.0'),
      crashing: image('crash'),
      missing: image('9.9.9'),
    },
    repository: REPOSITORY,
    registryDigest: async (reference) => runtime.registry.get(reference)!.digest,
    runContainer: async (name, reference) => {
      const id = runtime.addRunningContainer(name, reference);
      const container = runtime.containers.get(id)!;
      container.env = ['SITE=plant-7'];
      container.labels = { 'com.example.site': 'plant-7' };
      return id;
    },
    succeedingCommand: ['true'],
    uniqueName: (purpose) => `opc-${purpose}-${++names}`,
    cutEngine: async () => {
      runtime.engineDown = true;
    },
    restoreEngine: async () => {
      runtime.engineDown = false;
      runtime.pullGate = null;
    },
    cutEngineDuringNextPull: () =>
      new Promise<void>((resolve) => {
        // The pull has begun when it waits at the gate; the engine then goes away.
        runtime.pullGate = Promise.resolve().then(() => {
          runtime.engineDown = true;
          resolve();
        });
      }),
    dispose: async () => {},
  };
});
