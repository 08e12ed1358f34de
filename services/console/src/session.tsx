import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiClient } from './api/api-client';
import { describeApiError, type UserFacingError } from './api/api-error';
import type { JobView, RolloutSummary } from './api/types';
import { may, type Action } from './auth/permissions';
import type { TokenClaims } from './auth/token-claims';
import { ChangeStream, type ChangeListener, type ConnectionState } from './live/change-stream';

export interface Session {
  api: ApiClient;
  claims: TokenClaims;
  /** Each job as it changes (`GET /jobs/changes`). */
  jobChanges: ChangeStream<JobView>;
  /** Each rollout's summary as it changes (`GET /rollouts/changes`). */
  rolloutChanges: ChangeStream<RolloutSummary>;
  may(action: Action): boolean;
  /** The user signs out (at the identity provider too, when signed in there). */
  signOut(): void;
  /** The service refused the token (401): back to the sign-in page, saying why. */
  sessionEnded(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** Calls `onChange` for each change on `stream` (or a polling tick: `undefined`) while mounted. */
function useChanges<T>(stream: ChangeStream<T>, onChange: ChangeListener<T>): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => stream.subscribe((change) => latest.current(change)), [stream]);
}

export function useJobChanges(onChange: ChangeListener<JobView>): void {
  useChanges(useSession().jobChanges, onChange);
}

export function useRolloutChanges(onChange: ChangeListener<RolloutSummary>): void {
  useChanges(useSession().rolloutChanges, onChange);
}

/** The worst state of the change streams: while any is lost, the pages following it poll. */
export function useConnectionState(): ConnectionState {
  const { jobChanges, rolloutChanges } = useSession();
  const current = (): ConnectionState => {
    const states = [jobChanges.state, rolloutChanges.state];
    if (states.includes('lost')) return 'lost';
    return states.includes('connecting') ? 'connecting' : 'live';
  };
  const [state, setState] = useState(current);
  useEffect(() => {
    const follow = () => setState(current());
    const unsubscribe = [jobChanges, rolloutChanges].map((stream) => stream.onStateChange(follow));
    follow();
    return () => unsubscribe.forEach((stop) => stop());
  }, [jobChanges, rolloutChanges]);
  return state;
}

/**
 * Loads `load()` now, again when `deps` change, and whenever `refresh()` is called; keeps
 * the last value on screen while reloading.
 */
export function useLoaded<T>(load: () => Promise<T>, deps: unknown[]) {
  const { sessionEnded } = useSession();
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<UserFacingError | undefined>(undefined);
  const generation = useRef(0);
  const refresh = useCallback(() => {
    const mine = ++generation.current;
    load().then(
      (loaded) => {
        if (mine !== generation.current) return;
        setValue(loaded);
        setError(undefined);
      },
      (thrown: unknown) => {
        if (mine !== generation.current) return;
        const described = describeApiError(thrown);
        if (described.signedOut) sessionEnded();
        setError(described);
      },
    );
  }, deps);
  useEffect(() => {
    setValue(undefined);
    refresh();
  }, [refresh]);
  // `update`: the value changed in place, from a change known without a load (a live update).
  return { value, error, refresh, update: setValue };
}

/**
 * An action behind a button: runs once at a time (a double click sends one request), and
 * keeps the failure as a message a user understands.
 */
export function useAction() {
  const { sessionEnded } = useSession();
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserFacingError | undefined>(undefined);
  const run = useCallback(
    /** The work's value when it succeeded; undefined when it failed or another was running. */
    async <T,>(work: () => Promise<T>): Promise<{ value: T } | undefined> => {
      if (running.current) return undefined;
      running.current = true;
      setBusy(true);
      setError(undefined);
      try {
        return { value: await work() };
      } catch (thrown) {
        const described = describeApiError(thrown);
        if (described.signedOut) sessionEnded();
        setError(described);
        return undefined;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [sessionEnded],
  );
  return { busy, error, run, clearError: () => setError(undefined) };
}

export function useMay(action: Action): boolean {
  const { claims } = useSession();
  return may(claims.roles, action);
}

/** At most one call per `ms`, the last one always made (live updates come in bursts). */
export function useThrottled(run: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const latest = useRef(run);
  latest.current = run;
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
