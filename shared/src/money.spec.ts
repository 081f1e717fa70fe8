import fc from 'fast-check';
import { CodedError, ErrorCode } from './errors';
import { MAX_ORDER_QUANTITY, MAX_PAYABLE_FEN, MAX_UNIT_PRICE_FEN, assertPayable, formatFen, formatYuanShort, parseYuan, splitByWeights } from './money';

describe('formatFen', () => {
  it('when given fen, then shows yuan with two decimals', () => {
    expect(formatFen(1234)).toBe('¥12.34');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(100)).toBe('¥1.00');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(-250)).toBe('-¥2.50');
  });
  it('when given a float, then it refuses', () => {
    expect(() => formatFen(12.5)).toThrow(RangeError);
  });
  it('round-trips: the digits always parse back to the same fen', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (fen) => {
        const s = formatFen(fen);
        const back = Math.round(Number(s.replace('¥', '')) * 100);
        expect(back).toBe(fen);
      }),
    );
  });
});

describe('splitByWeights (largest remainder)', () => {
  it('when splitting 100 fen three ways, then parts add up to the whole', () => {
    expect(splitByWeights(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitByWeights(1, [1, 1])).toEqual([1, 0]);
    expect(splitByWeights(0, [3, 1])).toEqual([0, 0]);
  });
  it('property: parts are integers, add up to the total and stay within 1 fen of the exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const parts = splitByWeights(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          parts.forEach((p, i) => {
            expect(Number.isInteger(p)).toBe(true);
            const exact = sum === 0 ? total / weights.length : (total * weights[i]!) / sum;
            expect(Math.abs(p - exact)).toBeLessThan(1 + 1e-6);
          });
        },
      ),
    );
  });
});

describe('money limits', () => {
  it('when the largest order validation allows is priced, then its goods amount is a safe integer that a BIGINT holds', () => {
    const most = MAX_UNIT_PRICE_FEN * MAX_ORDER_QUANTITY;
    expect(Number.isSafeInteger(most)).toBe(true);
    expect(most).toBeLessThan(2 ** 63);
    // …but more than one WeChat Pay payment carries, which is why assertPayable exists.
    expect(most).toBeGreaterThan(MAX_PAYABLE_FEN);
  });

  it('when an amount is above the int32 WeChat Pay takes, then AMOUNT_TOO_LARGE; at the limit, fine', () => {
    expect(MAX_PAYABLE_FEN).toBe(2 ** 31 - 1);
    expect(() => assertPayable(MAX_PAYABLE_FEN)).not.toThrow();
    expect(() => assertPayable(MAX_PAYABLE_FEN + 1)).toThrow(expect.objectContaining({ code: ErrorCode.AMOUNT_TOO_LARGE }));
    expect(() => assertPayable(MAX_PAYABLE_FEN + 1)).toThrow(CodedError);
  });
});

describe('parseYuan', () => {
  it('when a person types yuan, then it is exact fen; anything else is null', () => {
    expect(parseYuan('12')).toBe(1200);
    expect(parseYuan('12.3')).toBe(1230);
    expect(parseYuan(' ¥0.05 ')).toBe(5);
    for (const bad of ['', '1.234', '-1', 'abc', '1e3', '12.']) expect(parseYuan(bad)).toBeNull();
  });

  it('when any fen amount is formatted, then parsing it gives it back', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999_999 }), (fen) => parseYuan(formatFen(fen)) === fen));
  });
});

describe('formatYuanShort', () => {
  it('drops the currency sign and trailing zeros', () => {
    expect([1900, 850, 5, 10, 0, 123456, -250].map(formatYuanShort)).toEqual(['19', '8.5', '0.05', '0.1', '0', '1234.56', '-2.5']);
  });
});
