import { computeCommissions } from './rewards';

describe('computeCommissions', () => {
  it('when under the cap, then each level is its rate of the base rounded down', () => {
    expect(computeCommissions(9999, { ratesBps: [500, 200], capBps: 1000 })).toEqual([499, 199]);
  });
  it('when the levels pass the cap, then the cap is split by rate with largest remainder and adds up exactly', () => {
    const parts = computeCommissions(10_001, { ratesBps: [800, 700], capBps: 1000 });
    expect(parts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(parts).toEqual([533, 467]);
  });
  it('when a third level is asked for, then it throws', () => {
    expect(() => computeCommissions(100, { ratesBps: [1, 1, 1], capBps: 1000 })).toThrow(RangeError);
  });
  it('when the base is zero, then nobody earns', () => {
    expect(computeCommissions(0, { ratesBps: [500, 200], capBps: 1000 })).toEqual([0, 0]);
  });
});
