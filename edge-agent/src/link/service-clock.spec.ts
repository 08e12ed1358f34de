import { ServiceClock } from './service-clock';

const HOUR = 3600_000;
const MINUTE = 60_000;
/** The service's clock in these stories. */
const T = Date.parse('2026-11-30T12:00:00.000Z');

/** A device whose wall clock is `offsetMs` off the service's; `step()` moves it like NTP would. */
function device(offsetMs: number) {
  let serviceNow = T;
  let offset = offsetMs;
  const clock = new ServiceClock({
    wall: () => serviceNow + offset,
    monotonic: () => serviceNow - T,
  });
  return {
    clock,
    /** Time passes for everyone. */
    advance: (ms: number) => (serviceNow += ms),
    step: (ms: number) => (offset += ms),
    /** A command the service issued `ageMs` ago, valid for `lifetimeMs` from then. */
    command: (ageMs: number, lifetimeMs: number) => ({
      issuedAt: new Date(serviceNow - ageMs).toISOString(),
      expiresAt: new Date(serviceNow - ageMs + lifetimeMs).toISOString(),
    }),
  };
}

describe('ServiceClock: command expiry when the device clock is off', () => {
  describe('over MQTT 5 (the broker judged and says what lifetime is left)', () => {
    it.each([
      ['an hour behind', -HOUR],
      ['an hour ahead', HOUR],
    ])(
      'takes a command delivered with its expiry interval as fresh with the clock %s, and measures the skew',
      (_what, offset) => {
        const d = device(offset);
        const verdict = d.clock.judge(d.command(29 * MINUTE, 30 * MINUTE), {
          expiryIntervalSeconds: 60,
        });
        expect(verdict).toEqual({
          fresh: true,
          validUntil: new Date(T + offset + 60_000).toISOString(),
        });
        expect(d.clock.skewSeconds()).toBe(offset / 1000);
      },
    );
  });

  describe('over MQTT 3.1.1 (no expiry interval)', () => {
    it('with the clock an hour behind, refuses an expired command once a command has shown the skew', () => {
      const d = device(-HOUR);
      expect(d.clock.judge(d.command(2_000, 24 * HOUR)).fresh).toBe(true);
      // Issued in the device's future: the device is at least an hour behind, and says so.
      expect(d.clock.skewSeconds()).toBeLessThanOrEqual(-3598);
      d.advance(10 * MINUTE);
      const stale = d.clock.judge(d.command(24 * HOUR + 30 * MINUTE, 24 * HOUR));
      expect(stale).toMatchObject({ fresh: false, reason: expect.stringContaining('expired') });
    });

    it('with the clock an hour ahead, errs on the safe side: a command valid for less than the skew looks expired', () => {
      const d = device(HOUR);
      expect(d.clock.judge(d.command(1_000, 24 * HOUR)).fresh).toBe(true);
      d.advance(5 * MINUTE);
      expect(d.clock.judge(d.command(1_000, 30 * MINUTE)).fresh).toBe(false);
      // A positive bound may be time in transit: neither used nor reported as a skew.
      expect(d.clock.skewSeconds()).toBeUndefined();
    });

    it('is not fooled by a backlog of old commands into taking old ones for young', () => {
      const d = device(0);
      expect(d.clock.judge(d.command(23 * HOUR, 24 * HOUR)).fresh).toBe(true);
      expect(d.clock.judge(d.command(25 * HOUR, 24 * HOUR)).fresh).toBe(false);
    });

    it('trusts the device clock until a command has shown otherwise, and refuses what it says is expired', () => {
      const d = device(0);
      expect(d.clock.skewSeconds()).toBeUndefined();
      expect(d.clock.judge(d.command(25 * HOUR, 24 * HOUR)).fresh).toBe(false);
      expect(d.clock.judge(d.command(1_000, 24 * HOUR))).toEqual({
        fresh: true,
        validUntil: new Date(T + 24 * HOUR - 1_000).toISOString(),
      });
    });

    it('follows a step of the device clock (NTP) made after the skew was learnt', () => {
      const d = device(-HOUR);
      d.clock.judge(d.command(0, 24 * HOUR));
      d.step(HOUR); // the clock is set right
      d.advance(MINUTE);
      expect(Math.abs(d.clock.skewSeconds() ?? 0)).toBeLessThan(5);
      expect(d.clock.judge(d.command(24 * HOUR + MINUTE, 24 * HOUR)).fresh).toBe(false);
      expect(d.clock.judge(d.command(23 * HOUR, 24 * HOUR)).fresh).toBe(true);
    });
  });

  it('takes a command without expiry as fresh', () => {
    const d = device(HOUR);
    expect(d.clock.judge({ issuedAt: new Date(T).toISOString() })).toEqual({ fresh: true });
  });
});
