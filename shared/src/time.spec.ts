import fc from 'fast-check';
import { clockOffsetMs, formatCountdown, remainingMs } from './time';

describe('server-time countdown', () => {
  it('when the phone clock is 5 minutes fast, then the countdown still follows the server', () => {
    const serverNow = Date.parse('2026-01-01T00:00:00Z');
    const phoneNow = serverNow + 5 * 60_000;
    const offset = clockOffsetMs(new Date(serverNow).toISOString(), phoneNow);
    expect(remainingMs('2026-01-01T00:10:00Z', phoneNow, offset)).toBe(10 * 60_000);
  });
  it('property: the remaining time is never negative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -1e9, max: 1e9 }), (deadline, now, offset) => {
        expect(remainingMs(new Date(deadline).toISOString(), now, offset)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
  it('formats as HH:MM:SS, with days when longer', () => {
    expect(formatCountdown(0)).toBe('00:00:00');
    expect(formatCountdown(3_723_000)).toBe('01:02:03');
    expect(formatCountdown(90_061_000)).toBe('1天 01:01:01');
    expect(formatCountdown(-5)).toBe('00:00:00');
  });
});
