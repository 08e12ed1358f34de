import { performance } from 'node:perf_hooks';

/** How a command reached the device. */
export interface Delivery {
  /** MQTT 5 message expiry interval as delivered: the lifetime the broker says is left. */
  expiryIntervalSeconds?: number;
}

export type Freshness =
  | {
      fresh: true;
      /** Device-clock time after which it may no longer start. */ validUntil?: string;
    }
  | { fresh: false; reason: string };

interface Skew {
  /** Device clock minus the service's, when measured. */
  ms: number;
  /** From an MQTT 5 expiry interval (to a second or so); otherwise an upper bound. */
  precise: boolean;
  /** Wall clock minus monotonic clock then: a later difference is a step of the wall clock. */
  wallMinusMono: number;
}

export interface Clocks {
  wall: () => number;
  monotonic: () => number;
}

const SYSTEM_CLOCKS: Clocks = { wall: () => Date.now(), monotonic: () => performance.now() };

/** A skew below this, without MQTT 5, may as well be the command's time in transit. */
const BOUND_REPORTED_BELOW_MS = -5000;

/**
 * What the device knows of the service's clock, learnt from the commands it receives, and the
 * expiry verdict on each command, so that a device clock that is off does not decide alone.
 *
 * - With MQTT 5 the broker has judged: it drops an expired message and delivers the rest with
 *   the lifetime left. A command that arrives with an expiry interval is fresh, whatever the
 *   device's clock says, and tells the skew to a second or so: the service's clock read
 *   `expiresAt - interval` when the command arrived.
 * - Without it (MQTT 3.1.1, or no interval) the command's age is judged against its lifetime
 *   (`expiresAt - issuedAt`) on the device's clock, corrected by the skew learnt so far. A
 *   command is never issued after it arrives, so `received - issuedAt` bounds the skew from
 *   above; such a bound can only be trusted when it is negative (the device is behind by at
 *   least that much), since a positive one may be the command's time in transit: using it would
 *   make old commands look young. So a device that is behind is corrected, and one that is
 *   ahead is not: it refuses a command whose remaining lifetime is shorter than its skew (the
 *   safe side; over MQTT 5 this does not happen).
 *
 * The estimate follows steps of the device's wall clock (NTP), measured against the monotonic
 * clock. It lives in memory: a restarted agent learns it again.
 */
export class ServiceClock {
  private skew: Skew | null = null;

  constructor(
    private readonly clocks: Clocks = SYSTEM_CLOCKS,
    /** Told when the skew to report appears or moves by 5 s or more. */
    private readonly onSkewChange?: (seconds: number) => void,
  ) {}

  /** Judges a command's expiry at its arrival, then learns the skew from it. */
  judge(command: { issuedAt: string; expiresAt?: string }, delivery: Delivery = {}): Freshness {
    const received = this.clocks.wall();
    const issued = Date.parse(command.issuedAt);
    const expires = command.expiresAt ? Date.parse(command.expiresAt) : undefined;
    const interval = delivery.expiryIntervalSeconds;
    const verdict = this.verdict(received, issued, expires, interval, command.expiresAt);
    const reported = this.skewSeconds();
    if (expires !== undefined && interval !== undefined) {
      this.learn(received - (expires - interval * 1000), true);
    } else if (!this.skew?.precise && (!this.skew || received - issued < this.currentSkewMs()!)) {
      this.learn(received - issued, false);
    }
    const now = this.skewSeconds();
    if (now !== undefined && (reported === undefined || Math.abs(now - reported) >= 5)) {
      this.onSkewChange?.(now);
    }
    return verdict;
  }

  /**
   * The skew to report, in whole seconds: when measured through MQTT 5, or when commands came
   * "issued in the future" (the device is behind by at least that). A positive bound is left
   * out: it cannot be told from a command's time in transit.
   */
  skewSeconds(): number | undefined {
    const ms = this.currentSkewMs();
    if (ms === undefined) return undefined;
    if (!this.skew!.precise && ms > BOUND_REPORTED_BELOW_MS) return undefined;
    return Math.round(ms / 1000);
  }

  private verdict(
    received: number,
    issued: number,
    expires: number | undefined,
    interval: number | undefined,
    expiresAt: string | undefined,
  ): Freshness {
    if (expires === undefined) return { fresh: true };
    if (interval !== undefined) {
      return { fresh: true, validUntil: new Date(received + interval * 1000).toISOString() };
    }
    const learnt = this.currentSkewMs() ?? 0;
    const skew = this.skew?.precise ? learnt : Math.min(0, learnt);
    const age = received - skew - issued;
    const left = expires - issued - Math.max(0, age);
    if (left > 0) return { fresh: true, validUntil: new Date(received + left).toISOString() };
    return {
      fresh: false,
      reason: `command expired at ${expiresAt}: ${Math.round(age / 1000)} s old for a lifetime of ${Math.round((expires - issued) / 1000)} s (device clock taken as ${Math.round(skew / 1000)} s off the service's)`,
    };
  }

  private learn(ms: number, precise: boolean): void {
    this.skew = { ms, precise, wallMinusMono: this.clocks.wall() - this.clocks.monotonic() };
  }

  private currentSkewMs(): number | undefined {
    if (!this.skew) return undefined;
    const step = this.clocks.wall() - this.clocks.monotonic() - this.skew.wallMinusMono;
    return this.skew.ms + step;
  }
}
