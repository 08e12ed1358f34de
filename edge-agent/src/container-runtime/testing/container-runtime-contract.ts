import { RuntimeError, type ContainerRuntime } from '../container-runtime.port';

/** What the contract suite needs from a runtime under test and the engine behind it. */
export interface ContainerRuntimeFixture {
  runtime: ContainerRuntime;
  /**
   * Image references the registry serves: two versions that start and stay up, one whose
   * process exits with code 1 at start, and one the registry does not have. All four belong to
   * `repository`, which holds nothing else.
   */
  images: { v1: string; v2: string; crashing: string; missing: string };
  repository: string;
  /** The manifest digest the registry serves for a reference. */
  registryDigest(reference: string): Promise<string>;
  /**
   * Pulls `image` and starts a container named `name` from it, the way a device set it up:
   * env `SITE=plant-7` and label `com.example.site=plant-7`. Returns its id.
   */
  runContainer(name: string, image: string): Promise<string>;
  /** A command that exits 0 in a container of `images.v1`. */
  succeedingCommand: string[];
  /** A container name nobody else uses. */
  uniqueName(purpose: string): string;
  /** The engine goes out of reach (its socket is gone) until `restoreEngine()`. */
  cutEngine(): Promise<void>;
  restoreEngine(): Promise<void>;
  /** The engine goes out of reach once it has begun the next pull; resolves when it has. */
  cutEngineDuringNextPull(): Promise<void>;
  /** Removes what the suite created. */
  dispose(): Promise<void>;
}

/** Polls `read` until `done` holds (an engine applies some changes a moment later). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const giveUpAt = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > giveUpAt) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One behaviour suite for every ContainerRuntime: the fake the machine's fast tests use and
 * the dockerode adapter on a real engine must agree on everything the update machine relies on
 * (names, idempotent stop and start, copies that keep the device's settings, pull failures
 * with precise codes). Tests share one fixture and isolate themselves by container name.
 */
export function describeContainerRuntimeContract(
  adapterName: string,
  setup: () => Promise<ContainerRuntimeFixture>,
): void {
  describe(`ContainerRuntime contract: ${adapterName}`, () => {
    let fixture: ContainerRuntimeFixture;
    let runtime: ContainerRuntime;

    beforeAll(async () => {
      fixture = await setup();
      runtime = fixture.runtime;
    });
    afterAll(async () => {
      await fixture?.dispose();
    });

    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: unknown) => (error instanceof RuntimeError ? error.code : String(error)),
      );

    describe('containers', () => {
      it('inspects a running container by name and by id, and answers null for an unknown one', async () => {
        const name = fixture.uniqueName('inspect');
        const id = await fixture.runContainer(name, fixture.images.v1);
        const byName = await runtime.inspectContainer(name);
        expect(byName).toMatchObject({ id, name, running: true, restarting: false });
        expect(byName!.labels['com.example.site']).toBe('plant-7');
        expect(byName!.imageRef).toBe(fixture.images.v1);
        expect((await runtime.inspectContainer(id))?.name).toBe(name);
        expect(await runtime.inspectContainer(fixture.uniqueName('nobody'))).toBeNull();
      });

      it('renames a container; a name in use is a name_conflict and changes nothing', async () => {
        const first = fixture.uniqueName('rename-a');
        const second = fixture.uniqueName('rename-b');
        const id = await fixture.runContainer(first, fixture.images.v1);
        await fixture.runContainer(second, fixture.images.v1);
        expect(await codeOf(runtime.renameContainer(first, second))).toBe('name_conflict');
        expect((await runtime.inspectContainer(first))?.id).toBe(id);
        const aside = fixture.uniqueName('rename-aside');
        await runtime.renameContainer(first, aside);
        expect(await runtime.inspectContainer(first)).toBeNull();
        expect((await runtime.inspectContainer(aside))?.id).toBe(id);
      });

      it('stops and starts; stopping a stopped or starting a running container changes nothing', async () => {
        const name = fixture.uniqueName('stop-start');
        await fixture.runContainer(name, fixture.images.v1);
        await runtime.stopContainer(name, 2);
        expect((await runtime.inspectContainer(name))?.running).toBe(false);
        await runtime.stopContainer(name, 2);
        expect((await runtime.inspectContainer(name))?.running).toBe(false);
        await runtime.startContainer(name);
        await runtime.startContainer(name);
        expect((await runtime.inspectContainer(name))?.running).toBe(true);
      });

      it("creates a stopped copy from a template with another image, keeping the device's labels", async () => {
        const template = fixture.uniqueName('template');
        await fixture.runContainer(template, fixture.images.v1);
        await runtime.pullImage(fixture.images.v2);
        const copyName = fixture.uniqueName('copy');
        const copyId = await runtime.createFromTemplate(template, {
          name: copyName,
          image: fixture.images.v2,
          extraLabels: { 'org.opcfleet.version': '2.0.0' },
        });
        const copy = await runtime.inspectContainer(copyName);
        expect(copy).toMatchObject({ id: copyId, running: false, imageRef: fixture.images.v2 });
        expect(copy!.labels).toMatchObject({
          'com.example.site': 'plant-7',
          'org.opcfleet.version': '2.0.0',
        });
        expect(
          await codeOf(
            runtime.createFromTemplate(template, { name: copyName, image: fixture.images.v2 }),
          ),
        ).toBe('name_conflict');
      });

      it('answers image_not_found for a copy from an image the engine does not have', async () => {
        const template = fixture.uniqueName('template');
        await fixture.runContainer(template, fixture.images.v1);
        const copyName = fixture.uniqueName('copy');
        expect(
          await codeOf(
            runtime.createFromTemplate(template, { name: copyName, image: fixture.images.missing }),
          ),
        ).toBe('image_not_found');
        expect(await runtime.inspectContainer(copyName)).toBeNull();
      });

      it('sees a container whose process exits at start as stopped, with its exit code', async () => {
        const template = fixture.uniqueName('crash-template');
        await fixture.runContainer(template, fixture.images.v1);
        await runtime.pullImage(fixture.images.crashing);
        const id = await runtime.createFromTemplate(template, {
          name: fixture.uniqueName('crashing'),
          image: fixture.images.crashing,
        });
        await runtime.startContainer(id).catch(() => undefined);
        const seen = await eventually(
          () => runtime.inspectContainer(id),
          (c) => c?.running === false,
        );
        expect(seen).toMatchObject({ running: false, exitCode: 1 });
        // What it printed before it died stays readable until it is removed.
        const all = await runtime.logsTail(id, { lines: 50, maxBytes: 64 * 1024 });
        expect(all.length).toBeGreaterThan(0);
        expect(all.every((line) => !line.includes('\n'))).toBe(true);
        expect(await runtime.logsTail(id, { lines: 1, maxBytes: 64 * 1024 })).toEqual([all.at(-1)]);
        await runtime.removeContainer(id);
        expect(await codeOf(runtime.logsTail(id, { lines: 5, maxBytes: 1024 }))).toBe(
          'container_not_found',
        );
      });

      it('runs a command in a running container and answers its exit code', async () => {
        const name = fixture.uniqueName('exec');
        await fixture.runContainer(name, fixture.images.v1);
        expect(await runtime.exec(name, fixture.succeedingCommand, 5000)).toMatchObject({
          exitCode: 0,
        });
        expect(
          await codeOf(runtime.exec(fixture.uniqueName('nobody'), fixture.succeedingCommand, 5000)),
        ).toBe('container_not_found');
      });

      it('removes a container, also a running one; removing a missing one is no error', async () => {
        const name = fixture.uniqueName('remove');
        await fixture.runContainer(name, fixture.images.v1);
        await runtime.removeContainer(name);
        expect(await runtime.inspectContainer(name)).toBeNull();
        await runtime.removeContainer(name);
      });

      it('answers container_not_found for a change to a container that does not exist', async () => {
        const nobody = fixture.uniqueName('nobody');
        expect(await codeOf(runtime.stopContainer(nobody, 1))).toBe('container_not_found');
        expect(await codeOf(runtime.startContainer(nobody))).toBe('container_not_found');
        expect(await codeOf(runtime.renameContainer(nobody, `${nobody}-x`))).toBe(
          'container_not_found',
        );
      });
    });

    describe('images', () => {
      it('pulls an image, found afterwards by reference with the digest the registry serves', async () => {
        const digest = await fixture.registryDigest(fixture.images.v2);
        const pulled = await runtime.pullImage(fixture.images.v2, { expectedDigest: digest });
        const found = await runtime.inspectImage(fixture.images.v2);
        expect(found?.id).toBe(pulled.id);
        expect(found!.repoDigests.some((d) => d.endsWith(`@${digest}`))).toBe(true);
        expect(await runtime.registryImageSize(fixture.images.v2)).toBeGreaterThan(0);
      });

      it('refuses a pulled image whose digest is not the expected one', async () => {
        const error = await runtime
          .pullImage(fixture.images.v2, { expectedDigest: `sha256:${'d'.repeat(64)}` })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RuntimeError);
        expect(error).toMatchObject({ code: 'digest_mismatch' });
      });

      it('fails the pull of an image the registry does not have with image_not_found, not worth a retry', async () => {
        const error = await runtime.pullImage(fixture.images.missing).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RuntimeError);
        expect(error).toMatchObject({ code: 'image_not_found', retryable: false });
        expect(await runtime.inspectImage(fixture.images.missing)).toBeNull();
      });

      it("lists a repository's images and removes a name no container uses", async () => {
        await runtime.pullImage(fixture.images.v1);
        await runtime.pullImage(fixture.images.crashing);
        const listed = await runtime.listImages(fixture.repository);
        const tags = listed.flatMap((i) => i.repoTags);
        expect(tags).toEqual(expect.arrayContaining([fixture.images.v1, fixture.images.crashing]));
        // Each listed image has a name in the repository (and may have others elsewhere).
        const inRepository = (ref: string) => ref.startsWith(`${fixture.repository}:`);
        expect(listed.every((i) => i.repoTags.some(inRepository))).toBe(true);

        expect(await runtime.removeImage(fixture.images.crashing)).toBe(true);
        expect(await runtime.inspectImage(fixture.images.crashing)).toBeNull();
        expect(await runtime.removeImage(fixture.images.crashing)).toBe(true);
      });
    });

    describe('an engine out of reach', () => {
      afterEach(() => fixture.restoreEngine());

      it('fails every call with engine_unavailable, worth waiting for, and answers again once back', async () => {
        const name = fixture.uniqueName('outage');
        await fixture.runContainer(name, fixture.images.v1);
        await fixture.cutEngine();
        for (const call of [
          runtime.inspectContainer(name),
          runtime.inspectImage(fixture.images.v1),
          runtime.pullImage(fixture.images.v2),
          runtime.stopContainer(name, 1),
          runtime.listImages(fixture.repository),
        ]) {
          const error = await call.then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(RuntimeError);
          expect(error).toMatchObject({ code: 'engine_unavailable', retryable: true });
        }
        await fixture.restoreEngine();
        expect((await runtime.inspectContainer(name))?.running).toBe(true);
      });

      it('fails a pull the engine was cut away from with engine_unavailable, not as a pull failure', async () => {
        await runtime.removeImage(fixture.images.v2);
        const cut = fixture.cutEngineDuringNextPull();
        const error = await runtime.pullImage(fixture.images.v2).then(
          () => null,
          (e: unknown) => e,
        );
        await cut;
        expect(error).toBeInstanceOf(RuntimeError);
        expect(error).toMatchObject({ code: 'engine_unavailable', retryable: true });
        await fixture.restoreEngine();
        expect((await runtime.pullImage(fixture.images.v2)).id).toBeTruthy();
      });
    });
  });
}
