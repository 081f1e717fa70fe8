import { cutoffOn, latestCutoff, localDate, nextCutoff } from './pickup.cutoff';

const shanghai = { time: '23:00', timeZone: 'Asia/Shanghai' };

describe('daily cut-off', () => {
  it('when the cut-off is 23:00 in Shanghai, then it is 15:00:00.000 UTC that day', () => {
    expect(cutoffOn('2026-12-03', shanghai).toISOString()).toBe('2026-12-03T15:00:00.000Z');
  });

  it('when it is 22:59:59.999 local, then the latest cut-off is yesterday\'s and the next is today\'s', () => {
    const now = new Date('2026-12-03T14:59:59.999Z');
    expect(latestCutoff(now, shanghai).toISOString()).toBe('2026-12-02T15:00:00.000Z');
    expect(nextCutoff(now, shanghai).toISOString()).toBe('2026-12-03T15:00:00.000Z');
  });

  it('when it is exactly 23:00:00.000 local, then that instant is the latest cut-off', () => {
    const now = new Date('2026-12-03T15:00:00.000Z');
    expect(latestCutoff(now, shanghai).toISOString()).toBe('2026-12-03T15:00:00.000Z');
    expect(nextCutoff(now, shanghai).toISOString()).toBe('2026-12-04T15:00:00.000Z');
  });

  it('when it is after midnight local (still the previous UTC day), then the local date is the new day', () => {
    expect(localDate(new Date('2026-12-03T16:30:00.000Z'), 'Asia/Shanghai')).toBe('2026-12-04');
    expect(latestCutoff(new Date('2026-12-03T16:30:00.000Z'), shanghai).toISOString()).toBe('2026-12-03T15:00:00.000Z');
  });

  it('when the zone has summer time, then the cut-off follows the wall clock', () => {
    const berlin = { time: '23:00', timeZone: 'Europe/Berlin' };
    expect(cutoffOn('2026-01-15', berlin).toISOString()).toBe('2026-01-15T22:00:00.000Z');
    expect(cutoffOn('2026-07-15', berlin).toISOString()).toBe('2026-07-15T21:00:00.000Z');
  });
});
