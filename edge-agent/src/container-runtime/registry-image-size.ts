import type { RegistryAuth } from './container-runtime.port';
import { httpGet } from './http-get';
import { parseImageReference } from './image-reference';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  size?: number;
  digest?: string;
  platform?: { os?: string; architecture?: string };
}
interface Manifest {
  manifests?: Descriptor[];
  layers?: Descriptor[];
  config?: Descriptor;
}

export interface RegistrySizeOptions {
  /** Registries spoken to over plain HTTP (loopback test registries). */
  insecureRegistries?: readonly string[];
  timeoutMs?: number;
  architecture?: string;
}

/**
 * The download size of an image as its registry announces it (config + layers of the manifest
 * for this platform), used to check free disk before a pull. Returns null when the registry
 * cannot tell (unreachable, bearer-token auth, unusual manifest): the disk floor still applies.
 */
export async function registryImageSize(
  reference: string,
  auth: RegistryAuth | undefined,
  options: RegistrySizeOptions = {},
): Promise<number | null> {
  const ref = parseImageReference(reference);
  const scheme = options.insecureRegistries?.includes(ref.registry) ? 'http' : 'https';
  const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (auth) {
    headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }
  const fetchManifest = async (selector: string): Promise<Manifest | null> => {
    const response = await httpGet(`${scheme}://${host}/v2/${ref.path}/manifests/${selector}`, {
      headers,
      timeoutMs: options.timeoutMs ?? 5000,
    });
    return response.status === 200 ? (JSON.parse(response.body) as Manifest) : null;
  };
  try {
    let manifest = await fetchManifest(ref.digest ?? ref.tag ?? 'latest');
    if (manifest?.manifests) {
      const arch = options.architecture ?? nodeArchToOci(process.arch);
      const chosen =
        manifest.manifests.find(
          (m) => m.platform?.os === 'linux' && m.platform.architecture === arch,
        ) ?? manifest.manifests[0];
      manifest = chosen?.digest ? await fetchManifest(chosen.digest) : null;
    }
    if (!manifest?.layers) return null;
    return manifest.layers.reduce(
      (sum, layer) => sum + (layer.size ?? 0),
      manifest.config?.size ?? 0,
    );
  } catch {
    return null;
  }
}

function nodeArchToOci(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch;
}
