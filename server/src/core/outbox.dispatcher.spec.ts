import { backoffDelay } from './outbox.dispatcher';

describe('backoffDelay', () => {
  it('when attempts grow, then the delay doubles within half-to-full jitter', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const full = 1000 * 2 ** (attempt - 1);
      expect(backoffDelay(1000, attempt, () => 0)).toBe(full / 2);
      expect(backoffDelay(1000, attempt, () => 1)).toBe(full);
      const d = backoffDelay(1000, attempt);
      expect(d).toBeGreaterThanOrEqual(full / 2);
      expect(d).toBeLessThanOrEqual(full);
    }
  });

  it('when attempts are many, then the delay is capped at an hour', () => {
    expect(backoffDelay(1000, 40, () => 1)).toBe(3600_000);
    expect(backoffDelay(1000, 40, () => 0)).toBe(1800_000);
  });
});
