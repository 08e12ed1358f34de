/** How the link tells a session taken over by another client from a link that is merely lost. */
export interface TakeoverPolicy {
  /** The reconnect delay of a link that is merely lost. */
  reconnectMs: number;
  /** A connection that ends sooner than this after it came up counts as cut short. */
  quickCloseMs: number;
  /** Cut-short connections in a row that, without MQTT 5's reason code, mean a takeover. */
  quickClosesInARow: number;
  /** A connection that stays up this long ends a takeover episode. */
  stableMs: number;
  /** Back-off between reconnects while taken over: doubling from base to cap, +-20% jitter. */
  backoffBaseMs: number;
  backoffCapMs: number;
}

export const DEFAULT_TAKEOVER_POLICY: TakeoverPolicy = {
  reconnectMs: 2000,
  quickCloseMs: 10_000,
  quickClosesInARow: 3,
  stableMs: 60_000,
  backoffBaseMs: 5000,
  backoffCapMs: 300_000,
};

/** An episode of another client taking this client id's session, as long as it lasts. */
export interface SessionConflict {
  since: string;
  /** Times the session was taken over (or cut short) in this episode. */
  takeovers: number;
  /** MQTT 5 said so (DISCONNECT 0x8E), or only the pattern of cut-short connections did. */
  evidence: 'session_taken_over' | 'connections_cut_short';
  /** The delay before the next connection attempt. */
  reconnectInMs: number;
}

export type CloseVerdict =
  { conflict: false } | { conflict: true; startsEpisode: boolean; episode: SessionConflict };

/**
 * Decides, connection by connection, whether another client holds this client id: the broker
 * says so over MQTT 5 (DISCONNECT "session taken over"), or, over 3.1.1, connections keep
 * ending right after they came up. Two agents with one identity would otherwise take the
 * session from each other every couple of seconds forever; during an episode the reconnect
 * delay backs off exponentially (with jitter, so two agents drift apart), and an episode ends
 * once a connection has stayed up `stableMs`. Pure: time and chance come in.
 */
export class SessionTakeoverWatch {
  private connectedAt: number | null = null;
  private cutShortInARow = 0;
  private episode: SessionConflict | null = null;

  constructor(
    private readonly policy: TakeoverPolicy,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  connected(): void {
    this.connectedAt = this.now();
  }

  /** A connection ended; `takenOver` when the broker said the session was taken over. */
  closed(takenOver: boolean): CloseVerdict {
    const lasted = this.connectedAt === null ? null : this.now() - this.connectedAt;
    this.connectedAt = null;
    if (lasted === null && !takenOver) return this.verdict(false); // a failed attempt: not ours to judge
    const cutShort = lasted !== null && lasted < this.policy.quickCloseMs;
    this.cutShortInARow = cutShort ? this.cutShortInARow + 1 : 0;
    if (lasted !== null && lasted >= this.policy.stableMs) this.episode = null;
    if (!takenOver && this.cutShortInARow < this.policy.quickClosesInARow) {
      return this.verdict(false);
    }
    const startsEpisode = !this.episode;
    const takeovers = (this.episode?.takeovers ?? 0) + 1;
    const backoff = Math.min(
      this.policy.backoffCapMs,
      this.policy.backoffBaseMs * 2 ** (takeovers - 1),
    );
    this.episode = {
      since: this.episode?.since ?? new Date(this.now()).toISOString(),
      takeovers,
      evidence:
        takenOver || this.episode?.evidence === 'session_taken_over'
          ? 'session_taken_over'
          : 'connections_cut_short',
      reconnectInMs: Math.round(backoff * (0.8 + 0.4 * this.random())),
    };
    return this.verdict(startsEpisode);
  }

  /** The connection has stayed up `stableMs`: the episode, if any, is over. True if one was. */
  stable(): boolean {
    const ended = this.episode !== null;
    this.episode = null;
    this.cutShortInARow = 0;
    return ended;
  }

  conflict(): SessionConflict | null {
    return this.episode;
  }

  reconnectDelayMs(): number {
    return this.episode?.reconnectInMs ?? this.policy.reconnectMs;
  }

  private verdict(startsEpisode: boolean): CloseVerdict {
    return this.episode
      ? { conflict: true, startsEpisode, episode: this.episode }
      : { conflict: false };
  }
}
