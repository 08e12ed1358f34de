export type ConnectionState = 'connecting' | 'live' | 'lost';

/** What changed, or `undefined`: "something may have changed, refresh" (polling). */
export type ChangeListener<T> = (change: T | undefined) => void;

interface EventSourceLike {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface ChangeStreamOptions {
  /** Asked again at each (re)connection: it carries the current access token. */
  url: string | (() => string);
  /** The type of the server-sent events that carry a change (`job`, `rollout`). */
  event: string;
  /** Poll this often while the stream is down (default 3 s). */
  pollIntervalMs?: number;
  /** Longest wait between attempts to open a closed stream (default 30 s). */
  maxRetryMs?: number;
  open?: (url: string) => EventSourceLike;
}

const CLOSED = 2;

/**
 * One of the service's change streams (server-sent events: `GET /jobs/changes`,
 * `GET /rollouts/changes`), shared by every page: listeners get each changed document as it
 * comes. While the stream is down, listeners are told to refresh on a timer instead (the
 * polling fallback), and the stream is opened again with a doubling back-off.
 */
export class ChangeStream<T> {
  private source: EventSourceLike | undefined;
  private readonly listeners = new Set<ChangeListener<T>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = 1000;
  private stopped = false;
  state: ConnectionState = 'connecting';

  constructor(private readonly options: ChangeStreamOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = undefined;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    this.pollTimer = undefined;
  }

  subscribe(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private connect(): void {
    const open = this.options.open ?? ((url: string) => new EventSource(url));
    const { url } = this.options;
    const source = open(typeof url === 'string' ? url : url());
    this.source = source;
    source.onopen = () => {
      this.retryMs = 1000;
      this.setState('live');
      // Whatever changed while the stream was down: one refresh catches it up.
      this.notify(undefined);
    };
    source.onerror = () => {
      this.setState('lost');
      if (source.readyState === CLOSED && !this.stopped) {
        // The browser gave up (an HTTP error): try again ourselves, backing off.
        this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 30_000);
      }
    };
    source.addEventListener(this.options.event, (event) => {
      try {
        this.notify(JSON.parse(event.data as string) as T);
      } catch {
        this.notify(undefined);
      }
    });
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    if (state === 'lost' && !this.pollTimer) {
      this.pollTimer = setInterval(
        () => this.notify(undefined),
        this.options.pollIntervalMs ?? 3000,
      );
    }
    if (state === 'live') {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
    for (const listener of this.stateListeners) listener(state);
  }

  private notify(change: T | undefined): void {
    for (const listener of this.listeners) listener(change);
  }
}
