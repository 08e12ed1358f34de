import { DEFAULT_TAKEOVER_POLICY, SessionTakeoverWatch } from './session-takeover';

/** A watch on a clock the test moves, without jitter. */
function watch() {
  let now = Date.parse('2026-11-30T10:00:00.000Z');
  const w = new SessionTakeoverWatch(
    DEFAULT_TAKEOVER_POLICY,
    () => now,
    () => 0.5,
  );
  return {
    w,
    /** A connection that lasts `ms`, then ends (`takenOver`: MQTT 5 said so). */
    connection: (ms: number, takenOver = false) => {
      w.connected();
      now += ms;
      return w.closed(takenOver);
    },
    wait: (ms: number) => (now += ms),
  };
}

describe('SessionTakeoverWatch', () => {
  it('takes MQTT 5 "session taken over" at its word, and backs off doubling up to the cap', () => {
    const { connection, wait } = watch();
    const first = connection(30_000, true);
    expect(first).toMatchObject({
      conflict: true,
      startsEpisode: true,
      episode: { takeovers: 1, evidence: 'session_taken_over', reconnectInMs: 5000 },
    });
    const delays = [first];
    for (let i = 0; i < 8; i++) {
      wait(1000);
      delays.push(connection(500, true));
    }
    expect(delays.map((v) => v.conflict && v.episode.reconnectInMs)).toEqual([
      5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect(delays.filter((v) => v.conflict && v.startsEpisode)).toHaveLength(1);
  });

  it('over 3.1.1, sees a takeover only in connections cut short again and again', () => {
    const { w, connection } = watch();
    expect(connection(2000)).toEqual({ conflict: false });
    expect(connection(2000)).toEqual({ conflict: false });
    expect(connection(2000)).toMatchObject({
      conflict: true,
      startsEpisode: true,
      episode: { evidence: 'connections_cut_short' },
    });
    expect(w.reconnectDelayMs()).toBe(5000);
  });

  it('does not count a link lost after a while, nor connection attempts that failed', () => {
    const { w, connection } = watch();
    connection(2000);
    connection(2000);
    expect(connection(15 * 60_000)).toEqual({ conflict: false });
    expect(w.closed(false)).toEqual({ conflict: false });
    expect(w.reconnectDelayMs()).toBe(DEFAULT_TAKEOVER_POLICY.reconnectMs);
  });

  it('ends an episode once a connection stays up long enough', () => {
    const { w, connection } = watch();
    connection(1000, true);
    expect(w.conflict()).not.toBeNull();
    w.connected();
    expect(w.stable()).toBe(true);
    expect(w.conflict()).toBeNull();
    expect(w.reconnectDelayMs()).toBe(DEFAULT_TAKEOVER_POLICY.reconnectMs);
    // A connection that lasted past the stable time and was then taken over starts a new one.
    connection(1000, true);
    expect(connection(DEFAULT_TAKEOVER_POLICY.stableMs + 1, true)).toMatchObject({
      startsEpisode: true,
      episode: { takeovers: 1 },
    });
  });
});
