/**
 * What the update machine needs from a container engine. The dockerode adapter implements it
 * against Docker or Podman's Docker API; pure tests use a fake. Expected failures are
 * `RuntimeError`s carrying a code the status report can show.
 */

export type RuntimeErrorCode =
  | 'image_not_found'
  | 'registry_unreachable'
  | 'auth_failed'
  | 'digest_mismatch'
  | 'pull_failed'
  | 'container_not_found'
  | 'name_conflict'
  | 'engine_error'
  /** The engine did not answer at all (socket gone, refused, reset, 502-504): wait for it. */
  | 'engine_unavailable';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** Worth trying again (a network blip), as opposed to a definite answer (no such image). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** The engine is out of reach: no answer says anything about the registry, image or container. */
export const isEngineUnavailable = (error: unknown): error is RuntimeError =>
  error instanceof RuntimeError && error.code === 'engine_unavailable';

export type EngineHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface ContainerInfo {
  id: string;
  name: string;
  /** The image reference the container was created from, as the engine reports it. */
  imageRef: string;
  imageId: string;
  running: boolean;
  restarting: boolean;
  exitCode: number;
  restartCount: number;
  startedAt?: string;
  health: EngineHealth;
  labels: Record<string, string>;
  /** Addresses of the container on its networks (first one first). */
  ipAddresses: string[];
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  /** `repo@sha256:...` entries: the manifest digests this image was pulled by. */
  repoDigests: string[];
  sizeBytes: number;
  createdAt?: string;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface PullProgress {
  bytes: number;
  totalBytes?: number;
  percent?: number;
}

export interface PullOptions {
  auth?: RegistryAuth;
  /** sha256:...: the pulled image must carry this manifest digest or the pull fails. */
  expectedDigest?: string;
  onProgress?: (progress: PullProgress) => void;
  /** Ends the request to the engine (a cancelled job, a missed deadline). */
  signal?: AbortSignal;
}

export interface CreateFromTemplateOptions {
  /** The new container's name. */
  name: string;
  image: string;
  /** Labels added on top of the template's. */
  extraLabels?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface LogTailOptions {
  /** The newest lines asked of the engine. */
  lines: number;
  /** Bytes kept of what the engine answers (the newest). */
  maxBytes: number;
}

export interface ContainerRuntime {
  /** null when no container has that name or id. */
  inspectContainer(nameOrId: string): Promise<ContainerInfo | null>;
  /** null when the engine has no such image. */
  inspectImage(reference: string): Promise<ImageInfo | null>;
  /**
   * Pulls and checks the digest; throws RuntimeError with a precise code (and
   * `engine_unavailable`, never a pull failure, when the engine went away meanwhile).
   */
  pullImage(reference: string, options?: PullOptions): Promise<ImageInfo>;
  renameContainer(nameOrId: string, newName: string): Promise<void>;
  /** Stops within timeoutSeconds (then kills); a stopped container is left alone. */
  stopContainer(nameOrId: string, timeoutSeconds: number): Promise<void>;
  /** Starts; a running container is left alone. */
  startContainer(nameOrId: string): Promise<void>;
  /**
   * Creates a container that keeps everything the template had (env, binds and volumes, ports,
   * network, labels, restart policy, command) with only the image changed. Returns its id.
   */
  createFromTemplate(templateNameOrId: string, options: CreateFromTemplateOptions): Promise<string>;
  /** Removes (forced); a missing container is not an error. */
  removeContainer(nameOrId: string): Promise<void>;
  /** Images whose tags or digests belong to `repository` (reference without tag or digest). */
  listImages(repository: string): Promise<ImageInfo[]>;
  /**
   * Removes an image reference (id, `repo:tag` or `repo@digest`): a name only untags when the
   * image has others. An image still used by a container is left and reported false.
   */
  removeImage(reference: string): Promise<boolean>;
  /** Free bytes of the engine's image storage, or null when the engine cannot tell. */
  freeDiskBytes(): Promise<number | null>;
  /** The image's compressed size as the registry announces it, or null when unknown. */
  registryImageSize(reference: string, auth?: RegistryAuth): Promise<number | null>;
  /**
   * The container's last lines of stdout and stderr, oldest first, as the engine keeps them
   * (interleaved in the order they were written); a running or stopped container alike.
   */
  logsTail(nameOrId: string, options: LogTailOptions): Promise<string[]>;
  /** Runs a command inside a running container. */
  exec(nameOrId: string, command: string[], timeoutMs: number): Promise<ExecResult>;
}
