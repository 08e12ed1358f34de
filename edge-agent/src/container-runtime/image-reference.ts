/** An image reference split into the parts the engine and the registry API need. */
export interface ImageReference {
  /** registry host[:port], defaulting to Docker Hub. */
  registry: string;
  /** repository path inside the registry, e.g. opcfleet/opc-core. */
  path: string;
  tag?: string;
  digest?: string;
  /** The reference without tag or digest, as engines list it in RepoTags/RepoDigests. */
  repository: string;
}

const DOCKER_HUB = 'docker.io';

export function parseImageReference(reference: string): ImageReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const firstSlash = rest.indexOf('/');
  const first = firstSlash >= 0 ? rest.slice(0, firstSlash) : '';
  // A first component with a dot, a port or "localhost" is a registry host, as Docker decides it.
  const hasRegistry = firstSlash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  const registry = hasRegistry ? first : DOCKER_HUB;
  let path = hasRegistry ? rest.slice(firstSlash + 1) : rest;
  if (!hasRegistry && !path.includes('/')) path = `library/${path}`;
  return { registry, path, tag, digest, repository: rest };
}
