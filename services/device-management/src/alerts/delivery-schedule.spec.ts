import { DEFAULT_DELIVERY_SCHEDULE, nextAttemptDelay } from './delivery-schedule';

describe('the delivery schedule', () => {
  it('doubles from 30 s up to 30 min, with +-20 % jitter, for 8 attempts over about an hour', () => {
    const bounds = [30, 60, 120, 240, 480, 960, 1800].map((s) => s * 1000);
    for (let run = 0; run < 50; run++) {
      const waits = [1, 2, 3, 4, 5, 6, 7].map((attempts) =>
        nextAttemptDelay(attempts, DEFAULT_DELIVERY_SCHEDULE),
      );
      waits.forEach((wait, index) => {
        const nominal = bounds[index];
        expect(wait).toBeGreaterThanOrEqual(Math.round(nominal * 0.8));
        expect(wait).toBeLessThanOrEqual(Math.min(nominal * 1.2, 30 * 60_000));
      });
      const total = waits.reduce((sum, wait) => sum! + wait!, 0)!;
      expect(total).toBeGreaterThan(50 * 60_000);
      expect(total).toBeLessThan(75 * 60_000);
    }
  });

  it('has no attempt after the last', () => {
    expect(nextAttemptDelay(8, DEFAULT_DELIVERY_SCHEDULE)).toBeUndefined();
    expect(nextAttemptDelay(1, { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 10 })).toBe(
      undefined,
    );
    expect(nextAttemptDelay(2, { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 150 })).toBe(150);
  });
});
