/**
 * A part of the service that runs on its own beside the requests: a subscription to the event
 * store, the broker connection, a timer. Every one has this shape, and one lifecycle
 * (workers/worker-lifecycle.ts) starts them in order once the app is up and stops them in
 * reverse before the database closes.
 */
export interface Worker {
  /** Its name in the lifecycle's log lines. */
  readonly name: string;
  start(): Promise<void>;
  /** Finishes or hands back what it holds; may be called more than once. */
  stop(): Promise<void>;
  /** Resolves once it has handled everything that was there when called. */
  caughtUp(): Promise<void>;
}
